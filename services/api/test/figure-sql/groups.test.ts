/**
 * Scores by group in SQL (src/figure-sql/groups.ts) against its pure definition
 * (domain/groups.ts `groupFigures`), on every database: random members with trait values of every
 * type (`"1"`, 1, true, missing, '', null, objects, arrays), active users, activity rows with
 * several rows of one user, day and event (the cap applies to their sum), users who are no
 * member, and models with whole, fractional and zero weights.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupFigures, rankGroups, type FeaturePoints } from '../../src/domain/groups.ts';
import { cappedDailyCount, countsTowardScore, featureLabel, featureWeight } from '../../src/domain/score.ts';
import { groupFeatureCounts, groupNumbers, groupTotalsOfCounts, groupUsers, numberedMembers, type GroupFeatureCountRow, type GroupUsersRow } from '../../src/figure-sql/groups.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];
const EVENTS = ['Export', 'Invite', 'Share', '$page', '$identify'];
/** Trait values the domain keys apart ("1", 1 and true are three groups) or puts in the missing group. */
const TRAITS: unknown[] = ['1', 1, true, false, 'admin', 2.5, 0, '', null, { name: 'admin' }, ['1'], undefined];
/** Weights whose sums are exact in a double in any order: whole, halves, quarters, and 0 (no points). */
const WEIGHTS = [0, 1, 2, 3, 0.5, 0.25, 1.75];

const row = fc.record({ user: fc.constantFrom(...USERS, 'stranger'), day: fc.constantFrom(...DAYS), event: fc.constantFrom(...EVENTS), count: fc.integer({ min: 1, max: 12 }) });
const member = fc.record({ userId: fc.constantFrom(...USERS), trait: fc.constantFrom(...TRAITS), active: fc.boolean() });
const model: fc.Arbitrary<ScoreModel> = fc
  .record({
    everyTrackEvent: fc.boolean(),
    features: fc.dictionary(fc.constantFrom(...EVENTS), fc.record({ weight: fc.constantFrom(...WEIGHTS), label: fc.constantFrom('Exports', 'Invites') })),
    dailyCap: fc.integer({ min: 1, max: 15 }),
  })
  .map(({ everyTrackEvent, features, dailyCap }) => ({ version: everyTrackEvent ? 1 : 2, status: 'active', everyTrackEvent, features: everyTrackEvent ? {} : features, windowDays: 30, dailyCap, createdAt: null }));

type Row = { user: string; day: string; event: string; count: number };

/** Each user's points per scored event as the domain defines them: weight × Σ over days of the capped day count. */
function pointsByDomain(rows: readonly Row[], scoreModel: ScoreModel): FeaturePoints[] {
  const perDay = new Map<string, { user: string; event: string; count: number }>();
  for (const { user, day, event, count } of rows) {
    const key = JSON.stringify([user, day, event]);
    const known = perDay.get(key);
    if (known) known.count += count;
    else perDay.set(key, { user, event, count });
  }
  const counts = new Map<string, { userId: string; event: string; count: number }>();
  for (const { user, event, count } of perDay.values()) {
    if (!countsTowardScore(scoreModel, event)) continue;
    const key = JSON.stringify([user, event]);
    const known = counts.get(key) ?? { userId: user, event, count: 0 };
    known.count += cappedDailyCount(count, scoreModel.dailyCap);
    counts.set(key, known);
  }
  return [...counts.values()].map(({ userId, event, count }) => ({ userId, event, label: featureLabel(scoreModel, event), points: featureWeight(scoreModel, event) * count }));
}

describe.each(testDatabaseKinds)('scores by group in SQL against groupFigures on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  /** The groups by the SQL form: members numbered, their users and capped counts added up in SQL. */
  async function groupsInSql(members: ReadonlyArray<{ userId: string; trait: unknown; active: boolean }>, rows: readonly Row[], scoreModel: ScoreModel) {
    const numbered = groupNumbers(members.map((m) => [m.userId, m.trait] as const));
    const memberRows = numberedMembers(numbered);
    const active = members.filter((m) => m.active).map((m) => m.userId);
    const input = sql`select * from unnest(${rows.map((r) => r.user)}::text[], ${rows.map((r) => r.day)}::date[], ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.count)}::int[]) as r(user_id, day, event, count)`;
    const db = t.app.store.db;
    const users = await sql<GroupUsersRow>`${groupUsers(memberRows, sql`select unnest(${active}::text[]) as user_id`)}`.execute(db);
    const counts = await sql<GroupFeatureCountRow>`${groupFeatureCounts(scoreModel, memberRows, input)}`.execute(db);
    return rankGroups(groupTotalsOfCounts(scoreModel, numbered.values, users.rows, counts.rows));
  }

  it('groups users, active users, scores and top features as groupFigures does', async () => {
    // Members once each (the queries list each user once), in any order.
    const members = fc.uniqueArray(member, { selector: (m) => m.userId, maxLength: USERS.length });
    await fc.assert(
      fc.asyncProperty(members, fc.array(row, { maxLength: 40 }), model, async (drawn, rows, scoreModel) => {
        expect(await groupsInSql(drawn, rows, scoreModel)).toEqual(groupFigures(drawn, pointsByDomain(rows, scoreModel)));
      }),
      { numRuns: 80 },
    );
  });

  it('keeps "1", 1 and true apart, and puts "", null, objects, arrays and no trait in the missing group', async () => {
    const scoreModel: ScoreModel = { version: 2, status: 'active', everyTrackEvent: false, features: { Export: { weight: 0.5, label: 'Exports' } }, windowDays: 30, dailyCap: 4, createdAt: null };
    const members = [
      { userId: 'u1', trait: '1', active: true },
      { userId: 'u2', trait: 1, active: true },
      { userId: 'u3', trait: true, active: false },
      { userId: 'u4', trait: '', active: true },
      { userId: 'u5', trait: { name: 'admin' }, active: false },
      { userId: 'u6', trait: undefined, active: false },
    ];
    // u1 sends 3 + 3 Exports on one day (capped at 4): 0.5 × 4 = 2.
    const rows = [...USERS.map((user) => ({ user, day: DAYS[0]!, event: 'Export', count: 1 })), { user: 'u1', day: DAYS[0]!, event: 'Export', count: 2 }, { user: 'u1', day: DAYS[0]!, event: 'Export', count: 3 }];
    const groups = await groupsInSql(members, rows, scoreModel);
    expect(groups.map((g) => [g.value, g.users, g.activeUsers, g.score])).toEqual([
      ['1', 1, 1, 2],
      [null, 3, 1, 1.5],
      // Equal scores: by type, then text (boolean before number).
      [true, 1, 0, 0.5],
      [1, 1, 1, 0.5],
    ]);
    expect(groups).toEqual(groupFigures(members, pointsByDomain(rows, scoreModel)));
  });

  it('rounds a feature\'s points once with a weight no double holds exactly (0.1 × 10 = 1)', async () => {
    const scoreModel: ScoreModel = { version: 2, status: 'active', everyTrackEvent: false, features: { Export: { weight: 0.1, label: 'Exports' } }, windowDays: 30, dailyCap: 20, createdAt: null };
    const members = USERS.map((userId) => ({ userId, trait: 'admin', active: true }));
    // Ten capped counts of 1 in one group: Σ of 0.1 ten times is 0.9999999999999999 in a double.
    const rows = [...USERS, 'u1', 'u2', 'u3', 'u4'].map((user, index) => ({ user, day: DAYS[index % 3]!, event: 'Export', count: 1 }));
    const [group] = await groupsInSql(members, rows, scoreModel);
    expect(group).toMatchObject({ value: 'admin', users: 6, activeUsers: 6, score: 1, topFeatures: [{ event: 'Export', label: 'Exports', points: 1 }] });
    // The domain's sum over users in some order agrees to the last digits.
    const [byDomain] = groupFigures(members, pointsByDomain(rows, scoreModel));
    expect(byDomain!.score).toBeCloseTo(1, 12);
  });
});
