/**
 * The SQL form of the retention cohorts' counts (src/figure-sql/retention-cohorts.ts) computes
 * what domain/retention-cohorts.ts `cohortCounts` says, on every database: by week and by month,
 * for ranges starting and ending mid-period, users with several first-seen rows (the least one
 * counts), repeated active days and days outside the range.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/days.ts';
import { cohortCounts as cohortCountsOfDomain, type CohortCount } from '../../src/domain/retention-cohorts.ts';
import { cohortCounts } from '../../src/figure-sql/retention-cohorts.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const FIRST = '2026-01-01';
const day = fc.integer({ min: 0, max: 130 }).map((offset) => addDays(FIRST, offset));
const user = fc.integer({ min: 0, max: 7 }).map((n) => `u${n}`);
const sorted = (counts: CohortCount[]) => [...counts].sort((a, b) => JSON.stringify([a.cohort, a.period]).localeCompare(JSON.stringify([b.cohort, b.period])));

describe.each(testDatabaseKinds)('retention cohort counts in SQL against the domain definition on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, { scorePoints: { run: false } });
  });
  afterAll(async () => t?.close());

  it('counts cohort sizes and active users per period as cohortCounts does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('week' as const, 'month' as const),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 70 }),
        fc.array(fc.record({ user, day }), { maxLength: 14 }),
        fc.array(fc.record({ user, day }), { maxLength: 50 }),
        async (by, start, length, seen, active) => {
          const range = { from: addDays(FIRST, start), to: addDays(FIRST, start + length) };
          const firstSeen = new Map<string, string>();
          for (const row of seen) if (!firstSeen.has(row.user) || row.day < firstSeen.get(row.user)!) firstSeen.set(row.user, row.day);
          const activeDays = new Map<string, string[]>();
          for (const row of active) activeDays.set(row.user, [...(activeDays.get(row.user) ?? []), row.day]);
          const seenRows = sql`select * from unnest(${seen.map((row) => row.user)}::text[], ${seen.map((row) => row.day)}::date[]) as f(user_id, first_day)`;
          const activeRows = sql`select * from unnest(${active.map((row) => row.user)}::text[], ${active.map((row) => row.day)}::date[]) as a(user_id, day)`;
          const result = await sql<CohortCount>`${cohortCounts(by, range, seenRows, activeRows)}`.execute(t.app.store.db);
          expect(sorted(result.rows)).toEqual(sorted(cohortCountsOfDomain({ by, ...range, firstSeen, activeDays })));
        },
      ),
      { numRuns: 60 },
    );
  });
});
