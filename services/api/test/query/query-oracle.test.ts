import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { fillActiveDays } from '../../src/derived/active-days.ts';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset, generateProjectPair } from '../support/generate-data.ts';
import { ingestEvents, ingestProjects } from '../support/ingest.ts';
import {
  addDays,
  oracleAccountFacts,
  oracleAccountScore,
  oracleActiveSeries,
  oracleNps,
  oracleRanking,
  oracleSegmentMembers,
  oracleUserScore,
  oracleUtilisation,
  type OracleEvent,
} from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// Every figure compared with the independent oracle on generated data, for several days.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const close = (actual: number | null, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toBeCloseTo(expected, 9);
};

async function compareEverything(t: TestApp, secretKey: string, events: OracleEvent[], asOfDays: string[]) {
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  for (const asOf of asOfDays) {
    for (const of of ['users', 'accounts'] as const) {
      const expected = oracleRanking(events, of, { asOf });
      expect(expected.length, `the data has ${of} as of ${asOf}`).toBeGreaterThan(1);
      const page = await get(`/v1/scores/${of}?asOf=${asOf}&limit=1000`);
      const idKey = of === 'users' ? 'userId' : 'accountId';
      const actual = new Map<string, { score: number; percentile: number }>(page['items'].map((item: any) => [item[idKey], item]));
      expect([...actual.keys()].sort(), `${of} seen as of ${asOf}`).toEqual(expected.map((entry) => entry.id).sort());
      for (const entry of expected) {
        close(actual.get(entry.id)!.score, entry.score);
        expect(actual.get(entry.id)!.percentile, `${of} ${entry.id} percentile as of ${asOf}`).toBe(entry.percentile);
      }
      // Individual answers for a sample of ids.
      for (const entry of expected.filter((_, index) => index % 5 === 0)) {
        if (of === 'users') {
          const want = oracleUserScore(events, entry.id, { asOf });
          const got = await get(`/v1/users/${encodeURIComponent(entry.id)}/score?asOf=${asOf}`);
          expect(got).toMatchObject({ userId: entry.id, percentile: want.percentile, window: want.window, model: want.model });
          close(got['score'], want.score);
          expect(got['breakdown']).toEqual(want.breakdown);
        } else {
          const want = oracleAccountScore(events, entry.id, { asOf });
          const got = await get(`/v1/accounts/${encodeURIComponent(entry.id)}/score?asOf=${asOf}`);
          expect(got).toMatchObject({ accountId: entry.id, percentile: want.percentile, activeUsers: want.activeUsers, window: want.window });
          close(got['score'], want.score);
          close(got['perActiveUser'], want.perActiveUser);
          expect(got['breakdown']).toEqual(want.breakdown);
          expect(got['topUsers']).toEqual(want.users.slice(0, 5));
        }
      }
    }
    const from = addDays(asOf, -20);
    expect((await get(`/v1/metrics/active?from=${from}&to=${asOf}`))['days']).toEqual(oracleActiveSeries(events, { from, to: asOf }).days);
    const accounts = oracleRanking(events, 'accounts', { asOf }).map((entry) => entry.id);
    for (const accountId of accounts) {
      const series = await get(`/v1/metrics/active?from=${from}&to=${asOf}&accountId=${encodeURIComponent(accountId)}`);
      expect(series['days'], `active series of ${accountId} as of ${asOf}`).toEqual(oracleActiveSeries(events, { from, to: asOf, accountId }).days);
      const utilisation = await get(`/v1/accounts/${encodeURIComponent(accountId)}/utilisation?asOf=${asOf}`);
      const want = oracleUtilisation(events, accountId, { asOf });
      expect(utilisation).toMatchObject({ accountId, seats: want.seats, activeUsers30d: want.activeUsers30d });
      close(utilisation['utilisation'], want.utilisation);
      close(utilisation['utilisation30dAgo'], want.utilisation30dAgo);
      close(utilisation['change'], want.change);
      expect(await get(`/v1/nps?asOf=${asOf}&accountId=${encodeURIComponent(accountId)}`), `nps of ${accountId}`).toMatchObject(oracleNps(events, { asOf, accountId }));
    }
    expect(await get(`/v1/nps?asOf=${asOf}`)).toMatchObject(oracleNps(events, { asOf }));
  }
}

/** The account segments and facts made of each day's active (account, user) pairs. */
const PAIR_SEGMENTS = ['low-utilization', 'rising-utilization', 'usage-drop', 'weekly-active', 'expansion-ready'] as const;

async function compareAccountActivity(t: TestApp, events: OracleEvent[], asOfDays: string[]) {
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  for (const asOf of asOfDays) {
    const want = oracleAccountFacts(events, { asOf });
    const { items } = await get(`/v1/accounts?asOf=${asOf}&limit=500`);
    expect(items.map((item: any) => item.accountId).sort(), `accounts as of ${asOf}`).toEqual(want.map((account) => account.accountId).sort());
    for (const account of want) {
      const got = items.find((item: any) => item.accountId === account.accountId);
      expect(got.activeUsers30d, `${account.accountId} active users as of ${asOf}`).toBe(account.activeUsers30d);
      close(got.utilisation, account.utilisation);
      close(got.utilisationChange, account.change);
    }
    for (const key of PAIR_SEGMENTS) {
      const page = await get(`/v1/segments/${key}/members?asOf=${asOf}&limit=1000`);
      expect(page['items'].map((item: any) => item.accountId), `${key} as of ${asOf}`).toEqual(oracleSegmentMembers(events, key, { asOf }));
    }
  }
}

const activityKept = async (t: TestApp) =>
  (await t.app.store.db.selectFrom('active_day_projects').select('project_id').where('project_id', '=', t.project.projectId).executeTakeFirst()) !== undefined;

const keptVersions = async (t: TestApp) =>
  (await t.app.store.db.selectFrom('score_point_versions').select(['version', 'state']).where('project_id', '=', t.project.projectId).execute()).map((row) => `${row.version}:${row.state}`);

describe.each(testDatabaseKinds)('query API against the oracle on %s', (kind) => {
  let t: TestApp;
  const data = generateDataset({ seed: 11, asOf: yesterday, days: 75, accounts: 10 });
  const asOfDays = [yesterday, addDays(yesterday, -9), addDays(yesterday, -31)];

  beforeAll(async () => {
    // No score-points worker: each path below is chosen by the test.
    t = await createTestApp(kind, { scorePoints: { run: false } });
    await ingestEvents(t.app, t.project.writeKey, data.events, { batchSize: 150, seed: 5 });
  });
  afterAll(async () => t?.close());

  it('answers every figure as the oracle does, for several days (scores and the active series from the per-day counts)', async () => {
    expect(await keptVersions(t)).toEqual([]);
    expect(await activityKept(t)).toBe(false);
    await compareEverything(t, t.project.secretKey, data.events, asOfDays);
  });

  it('answers the same from kept score points and activity filled afterwards', async () => {
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await fillActiveDays(t.app.store.db, t.project.projectId);
    // The days ingestion queued are folded (nothing left to recompute at query time).
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 500)) > 0);
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    expect(await keptVersions(t)).toEqual(['1:ready']);
    expect(await activityKept(t)).toBe(true);
    await compareEverything(t, t.project.secretKey, data.events, asOfDays);
  });

  it('answers the same after uptake rebuild', async () => {
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await keptVersions(t)).toEqual(['1:ready']);
    await compareEverything(t, t.project.secretKey, data.events, asOfDays);
  });
});

describe.each(testDatabaseKinds)('score points and activity kept by ingestion, against the oracle on %s', (kind) => {
  let t: TestApp;
  const data = generateDataset({ seed: 12, asOf: yesterday, days: 60, accounts: 8 });
  // A user active for days in no account who then joins one: as of the day before the join, the
  // kept pairs (memberships as they are now) hold that account's pairs of those days, the answer must not.
  const joinDay = addDays(yesterday, -3);
  const joinedAccount = [...new Set(data.events.filter((event) => event.type === 'group').map((event) => event.groupId!))].sort()[0]!;
  const lateJoiner: OracleEvent[] = [
    ...[12, 10, 8, 6].map((ago) => ({ type: 'track' as const, messageId: `late-${ago}`, timestamp: `${addDays(yesterday, -ago)}T09:00:00.000Z`, userId: 'late-joiner', event: 'Report Created' })),
    { type: 'group', messageId: 'late-join', timestamp: `${joinDay}T09:00:00.000Z`, userId: 'late-joiner', groupId: joinedAccount },
  ];
  const events = [...data.events, ...lateJoiner];
  const beforeJoins = () => [addDays(joinDay, -1)];

  beforeAll(async () => {
    t = await createTestApp(kind, { scorePoints: { run: false } });
    // Filled before any event: every point and active day below is queued by ingestion (late events, links and joins in a shuffled order) and folded.
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await fillActiveDays(t.app.store.db, t.project.projectId);
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 120, seed: 9 });
  });
  afterAll(async () => t?.close());

  const beforeLinks = () => {
    // The day before an identify that links earlier anonymous visits: the kept points (links as
    // they are now) hold those visits, the answer as of that day must not.
    const linkDays = [...new Set(data.events.filter((event) => event.type === 'identify' && event.anonymousId).map((event) => event.timestamp.slice(0, 10)))].sort();
    expect(linkDays.length).toBeGreaterThan(2);
    return [...new Set([addDays(linkDays[Math.floor(linkDays.length / 2)]!, -1), addDays(linkDays.at(-1)!, -1)])];
  };

  it('answers every score as the oracle does while the days are still queued', async () => {
    expect(await t.app.store.db.selectFrom('score_point_queue').select('day').where('project_id', '=', t.project.projectId).execute()).not.toEqual([]);
    await compareEverything(t, t.project.secretKey, events, [yesterday]);
    await compareAccountActivity(t, events, [yesterday]);
  });

  it('answers every score as the oracle does once folded, as of today and of days before later links and joins', async () => {
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    await compareEverything(t, t.project.secretKey, events, [yesterday, ...beforeLinks()]);
    await compareAccountActivity(t, events, [yesterday, ...beforeLinks(), ...beforeJoins()]);
  });

  it('keeps exactly the points and activity a rebuild makes from the stored events', async () => {
    const points = async () => {
      const db = t.app.store.db;
      const users = await db.selectFrom('user_day_points').selectAll().where('project_id', '=', t.project.projectId).where('points', '<>', 0).orderBy('version').orderBy('day').orderBy('user_id').execute();
      const accounts = await db.selectFrom('account_day_points').selectAll().where('project_id', '=', t.project.projectId).orderBy('version').orderBy('day').orderBy('account_id').orderBy('user_id').execute();
      const totals = await db.selectFrom('account_day_totals').selectAll().where('project_id', '=', t.project.projectId).orderBy('version').orderBy('day').orderBy('account_id').execute();
      const activeDays = await db.selectFrom('user_active_days').select(['user_id', 'day']).where('project_id', '=', t.project.projectId).orderBy('user_id').orderBy('day').execute();
      const counts = await db.selectFrom('daily_active_users').select(['day', 'dau', 'wau', 'mau']).where('project_id', '=', t.project.projectId).orderBy('day').execute();
      const accountPairs = await db.selectFrom('account_active_days').select(['day', 'account_id', 'user_id']).where('project_id', '=', t.project.projectId).orderBy('day').orderBy('account_id').orderBy('user_id').execute();
      return { users, accounts, totals, activeDays, counts, accountPairs };
    };
    const kept = await points();
    expect(kept.users.length).toBeGreaterThan(100);
    expect(kept.accounts.length).toBeGreaterThan(100);
    expect(kept.totals.length).toBeGreaterThan(20);
    expect(kept.activeDays.length).toBeGreaterThan(100);
    expect(kept.counts.length).toBeGreaterThan(60);
    expect(kept.accountPairs.length).toBeGreaterThan(100);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await points()).toEqual(kept);
  });

  it('brings the score tables up to date after events of their last day and of an earlier day in their window, queued and folded', async () => {
    // A table's days before its last are kept as a figure of the day before (query/scores.queries.ts):
    // an event of the last day must reach it, and so must one of an earlier day.
    const rankings = async (sent: OracleEvent[]) => {
      const answers: unknown[] = [];
      for (const of of ['users', 'accounts'] as const) {
        const response = await t.app.inject({ method: 'GET', url: `/v1/scores/${of}?asOf=${yesterday}&limit=1000`, headers: { authorization: `Bearer ${t.project.secretKey}` } });
        const got = (response.json() as { items: Array<Record<string, any>> }).items.map((item) => ({ id: item[of === 'users' ? 'userId' : 'accountId'], score: item['score'], percentile: item['percentile'] }));
        const want = oracleRanking(sent, of, { asOf: yesterday });
        expect(got.map((item) => item.id).sort(), `${of} seen`).toEqual(want.map((entry) => entry.id).sort());
        // In rank order too: a table brought up to date moves only the changed ids in it.
        expect(got.map((item) => item.id), `${of} ranked`).toEqual(want.map((entry) => entry.id));
        const byId = new Map(got.map((item) => [item.id, item]));
        for (const entry of want) {
          expect(byId.get(entry.id)!.score, `${of} ${entry.id}`).toBeCloseTo(entry.score, 9);
          expect(byId.get(entry.id)!.percentile, `${of} ${entry.id} percentile`).toBe(entry.percentile);
        }
        answers.push(got);
      }
      return answers;
    };
    const member = events.find((event) => event.type === 'group' && event.userId)!;
    const use = (id: string, ago: number): OracleEvent => ({ type: 'track', messageId: `table-${id}`, timestamp: `${addDays(yesterday, -ago)}T10:00:00.000Z`, userId: member.userId!, event: 'Export CSV', context: { groupId: member.groupId! } });
    let sent = [...events];
    let before = await rankings(sent);
    // Newcomers of the last day beside a member's use: one scored, one seen with no points (a page).
    const newcomers: OracleEvent[] = [
      { type: 'track', messageId: 'table-newcomer', timestamp: `${yesterday}T11:00:00.000Z`, userId: 'table-newcomer', event: 'Report Created' },
      { type: 'page', messageId: 'table-visitor', timestamp: `${yesterday}T11:00:00.000Z`, userId: 'table-visitor', name: 'Pricing' },
    ];
    for (const batch of [[use('last', 0), ...newcomers], [use('last-again', 0)], [use('earlier', 5)]]) {
      sent = [...sent, ...batch];
      await ingestEvents(t.app, t.project.writeKey, batch);
      const now = await rankings(sent);
      expect(now, 'the tables moved').not.toEqual(before);
      before = now;
    }
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    expect(await rankings(sent)).toEqual(before);
  });
});

describe.each(testDatabaseKinds)('two projects with interleaved data on %s', (kind) => {
  let t: TestApp;
  const pair = generateProjectPair({ seed: 21, asOf: yesterday, days: 60, accounts: 6 });

  beforeAll(async () => {
    t = await createTestApp(kind);
    const second = await t.createProject('Second');
    await ingestProjects(t.app, [
      { writeKey: t.project.writeKey, events: pair.first.events },
      { writeKey: second.writeKey, events: pair.second.events },
    ]);
    (t as TestApp & { second: typeof second }).second = second;
  });
  afterAll(async () => t?.close());

  it('never shows one project the other project’s rows', async () => {
    const second = (t as TestApp & { second: { secretKey: string } }).second;
    await compareEverything(t, t.project.secretKey, pair.first.events, [yesterday]);
    await compareEverything(t, second.secretKey, pair.second.events, [yesterday]);
  });
});
