/**
 * The SQL forms of the figures (src/figure-sql/) compute what their pure definitions in
 * src/domain/ say, on every database: the scored events with their weights and the capped daily
 * counts (domain/score.ts), each user's latest NPS answer (domain/nps.ts), and DAU / WAU / MAU
 * from active user-days (domain/active-series.ts).
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestAnswerPerUser } from '../../src/domain/nps.ts';
import { cappedDailyCount, countsTowardScore, featureWeight } from '../../src/domain/score.ts';
import { cappedDailyCounts, latestNpsPerUser } from '../../src/figure-sql/figures.ts';
import { activeCountChanges } from '../../src/figure-sql/active-counts.ts';
import { accountActivityCounts, weeksOfMask } from '../../src/figure-sql/account-activity.ts';
import { accountActivityOf, activeUsersPerAccount } from '../../src/domain/segments/account-activity.ts';
import { windowOf } from '../../src/domain/days.ts';
import { activeSeriesOfDays } from '../../src/domain/active-series.ts';
import { addDays, daysBetween } from '../../src/domain/days.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const EVENTS = ['Export', 'Invite', 'Share', '$page', '$identify', '$nps_response', '$session_start'];
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];
const USERS = ['u1', 'u2', 'u3'];

const row = fc.record({ user: fc.constantFrom(...USERS), day: fc.constantFrom(...DAYS), event: fc.constantFrom(...EVENTS), count: fc.integer({ min: 1, max: 40 }) });
const model: fc.Arbitrary<ScoreModel> = fc.record({
  everyTrackEvent: fc.boolean(),
  features: fc.dictionary(fc.constantFrom(...EVENTS), fc.record({ weight: fc.integer({ min: 0, max: 9 }), label: fc.constant('feature') })),
  dailyCap: fc.integer({ min: 1, max: 30 }),
}).map(({ everyTrackEvent, features, dailyCap }) => ({ version: everyTrackEvent ? 1 : 2, status: 'active', everyTrackEvent, features: everyTrackEvent ? {} : features, windowDays: 30, dailyCap, createdAt: null }));

/** Points per user by the domain definitions: Σ weight × min(day count, cap) over scored events. */
function pointsByDomain(rows: Array<{ user: string; day: string; event: string; count: number }>, scoreModel: ScoreModel): Map<string, number> {
  const perDay = new Map<string, { user: string; event: string; count: number }>();
  for (const { user, day, event, count } of rows) {
    const key = `${user}\u0000${day}\u0000${event}`;
    const known = perDay.get(key);
    if (known) known.count += count;
    else perDay.set(key, { user, event, count });
  }
  const points = new Map<string, number>();
  for (const { user, event, count } of perDay.values()) {
    if (!countsTowardScore(scoreModel, event)) continue;
    points.set(user, (points.get(user) ?? 0) + featureWeight(scoreModel, event) * cappedDailyCount(count, scoreModel.dailyCap));
  }
  return points;
}

describe.each(testDatabaseKinds)('figure SQL against the domain definitions on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('scores rows as countsTowardScore, featureWeight and cappedDailyCount say', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), model, async (rows, scoreModel) => {
        const input = sql`select * from unnest(${rows.map((r) => r.user)}::text[], ${rows.map((r) => r.day)}::date[], ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.count)}::int[]) as r(user_id, day, event, count)`;
        const result = await sql<{ user_id: string; points: number }>`
          select c.user_id, sum(c.weight * c.capped)::float8 as points from (${cappedDailyCounts(scoreModel, input)}) c group by c.user_id`.execute(t.app.store.db);
        const fromSql = new Map(result.rows.map((r) => [r.user_id, r.points]));
        expect(fromSql).toEqual(pointsByDomain(rows, scoreModel));
      }),
      { numRuns: 60 },
    );
  });

  it('finds each user\'s latest NPS answer as latestAnswerPerUser does, ties broken by messageId', async () => {
    const db = t.app.store.db;
    const projectId = t.project.projectId;
    const answer = fc.record({ user: fc.constantFrom(...USERS), hour: fc.integer({ min: 0, max: 3 }), score: fc.integer({ min: 0, max: 10 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { maxLength: 20 }), async (answers) => {
        await db.deleteFrom('nps_responses').where('project_id', '=', projectId).execute();
        // Few distinct times, so ties are common; messageIds of one shape sort alike everywhere.
        const stored = answers.map((a, index) => ({ userId: a.user, score: a.score, timestamp: Date.UTC(2026, 2, 2, a.hour), messageId: `m${String((index * 7) % 20).padStart(2, '0')}-${index}` }));
        if (stored.length > 0) {
          await db
            .insertInto('nps_responses')
            .values(stored.map((a) => ({ project_id: projectId, message_id: a.messageId, user_id: a.userId, anonymous_id: null, account_id: null, timestamp: new Date(a.timestamp), score: a.score })))
            .execute();
        }
        const result = await sql<{ user_id: string; score: number }>`${latestNpsPerUser(projectId, { from: '2026-03-01', to: '2026-03-03' }, '2026-03-03')}`.execute(db);
        expect(new Map(result.rows.map((r) => [r.user_id, r.score]))).toEqual(latestAnswerPerUser(stored));
      }),
      { numRuns: 25 },
    );
  });
  it('counts DAU / WAU / MAU from active user-days as activeSeriesOfDays does, and a signed part takes away its own counts', async () => {
    const first = '2026-01-01';
    const activeDay = fc.record({ user: fc.integer({ min: 0, max: 5 }), day: fc.integer({ min: 0, max: 69 }) });
    const counts = async (rows: Array<{ sign: number; user: number; day: number }>) => {
      const input = sql`select * from unnest(${rows.map((r) => r.sign)}::int[], ${rows.map((r) => `u${r.user}`)}::text[], ${rows.map((r) => addDays(first, r.day))}::date[]) as r(sign, user_id, day)`;
      const result = await sql<{ day: string; dau: number; wau: number; mau: number }>`select day::text, dau, wau, mau from (${activeCountChanges(input)}) c`.execute(t.app.store.db);
      return new Map(result.rows.map((r) => [r.day, { dau: r.dau, wau: r.wau, mau: r.mau }]));
    };
    const byDomain = (days: Array<{ user: number; day: number }>, from: string, to: string) => {
      const perDay = Array.from({ length: 70 }, (_, index) => Int32Array.from(new Set(days.filter((d) => d.day === index).map((d) => d.user))));
      return activeSeriesOfDays(perDay, first, from, to);
    };
    const unique = (days: Array<{ user: number; day: number }>) => [...new Map(days.map((d) => [`${d.user}:${d.day}`, d])).values()];
    await fc.assert(
      fc.asyncProperty(fc.array(activeDay, { maxLength: 40 }), fc.array(activeDay, { maxLength: 15 }), async (kept, taken) => {
        const plus = unique(kept);
        const minus = unique(taken);
        // Every day a count can change: the 70 days and the 30 after.
        const from = first;
        const to = addDays(first, 99);
        const got = await counts([...plus.map((d) => ({ sign: 1, ...d })), ...minus.map((d) => ({ sign: -1, ...d }))]);
        const less = byDomain(minus, from, to);
        const want = byDomain(plus, from, to).map((day, index) => {
          const { dau, wau, mau } = less[index]!;
          return { day: day.date, dau: day.dau - dau, wau: day.wau - wau, mau: day.mau - mau };
        });
        for (const { day, ...expected } of want) expect(got.get(day) ?? { dau: 0, wau: 0, mau: 0 }, day).toEqual(expected);
        expect([...got.keys()].every((day) => daysBetween(from, to).includes(day))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('adds up active pairs per account as accountActivityOf and activeUsersPerAccount do', async () => {
    const asOf = '2026-03-31';
    const pairArb = fc.record({ account: fc.constantFrom('acme', 'beta', 'corp'), user: fc.constantFrom('u1', 'u2', 'u3', 'u4'), back: fc.integer({ min: -5, max: 190 }) });
    const blocks = fc.record({ period: fc.integer({ min: 1, max: 35 }), weeks: fc.integer({ min: 0, max: 26 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(pairArb, { maxLength: 40 }), blocks, fc.integer({ min: 1, max: 40 }), async (drawn, { period, weeks }, activeDays) => {
        const pairs = [...new Map(drawn.map((p) => [`${p.account}:${p.user}:${p.back}`, { account: p.account, user: p.user, day: addDays(asOf, -p.back) }])).values()];
        const window = windowOf(asOf, activeDays);
        const input = sql`select * from unnest(${pairs.map((p) => p.account)}::text[], ${pairs.map((p) => p.user)}::text[], ${pairs.map((p) => p.day)}::date[]) as p(account_id, user_id, day)`;
        const result = await sql<{ account_id: string; recent: number; earlier: number; weeks: number; active_users: number }>`
          select * from (${accountActivityCounts(input, asOf, { period, weeks }, window)}) c`.execute(t.app.store.db);
        // The domain form over the same pairs, one day per entry.
        const accountIds = [...new Set(pairs.map((p) => p.account))];
        const userIds = [...new Set(pairs.map((p) => p.user))];
        const numbered = {
          accountIds,
          userIds,
          days: pairs.map((p) => ({ day: p.day, accounts: [accountIds.indexOf(p.account)], users: [userIds.indexOf(p.user)] })),
        };
        const activity = accountActivityOf({ pairs: numbered, asOf, period, weeks });
        const users = activeUsersPerAccount(numbered, window);
        for (const accountId of ['acme', 'beta', 'corp']) {
          const got = result.rows.find((row) => row.account_id === accountId);
          const want = activity.get(accountId);
          expect({ recent: got?.recent ?? 0, earlier: got?.earlier ?? 0, weeks: [...weeksOfMask(got?.weeks ?? 0)].sort() }, accountId).toEqual({
            recent: want?.recent ?? 0,
            earlier: want?.earlier ?? 0,
            weeks: [...(want?.weeks ?? [])].sort(),
          });
          expect(got?.active_users ?? 0, accountId).toBe(users.get(accountId) ?? 0);
        }
      }),
      { numRuns: 40 },
    );
  });
});
