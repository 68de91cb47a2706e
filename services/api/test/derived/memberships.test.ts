/**
 * Memberships (docs/api.md, Definitions): a group call sent with only an anonymousId makes the user a member once
 * an identify links the anonymousId (answers as of a day before the link do not count it), and a
 * membership starts at the earliest group call, whatever order the calls arrive in. Every figure
 * below is worked out by hand from the events, checked against the oracle too, through the routes,
 * for several arrival orders, and again after `uptake rebuild`.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { addDays, oracleAccountFacts, oracleAccountScore, oracleActiveSeries, oracleNps, oracleUtilisation, type OracleEvent } from '../support/oracle.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const at = (day: string, time = '12:00') => `2026-10-${day}T${time}:00.000Z`;
let sequence = 0;
const message = () => `ms-${++sequence}`;
const times = (n: number, make: () => OracleEvent) => Array.from({ length: n }, make);

// Account A (4 seats), founded by f. An anonymous visitor anon-x is grouped into A on the 5th and
// signs up as u-x on the 10th. u-y joins A on the 20th, and a late call says the 4th.
const founderJoins: OracleEvent = { type: 'group', messageId: message(), userId: 'f', groupId: 'A', timestamp: at('01', '10:00'), traits: { name: 'Acme', seats: 4 } };
const founderUse = times(2, () => ({ type: 'track', messageId: message(), userId: 'f', event: 'Report Created', timestamp: at('02') }));
const anonymousVisit: OracleEvent = { type: 'page', messageId: message(), anonymousId: 'anon-x', name: 'Pricing', timestamp: at('03') };
const anonymousJoins: OracleEvent = { type: 'group', messageId: message(), anonymousId: 'anon-x', groupId: 'A', timestamp: at('05', '10:00') };
const anonymousUse = times(3, () => ({ type: 'track', messageId: message(), anonymousId: 'anon-x', event: 'Report Created', timestamp: at('06') }));
const anonymousAnswer: OracleEvent = { type: 'track', messageId: message(), anonymousId: 'anon-x', event: '$nps_response', timestamp: at('06', '13:00'), properties: { score: 3 } };
const signUp: OracleEvent = { type: 'identify', messageId: message(), userId: 'u-x', anonymousId: 'anon-x', timestamp: at('10', '09:00'), traits: { name: 'X' } };
const laterUse: OracleEvent = { type: 'track', messageId: message(), userId: 'u-x', event: 'Export', timestamp: at('12') };
const laterAnswer: OracleEvent = { type: 'track', messageId: message(), userId: 'u-x', event: '$nps_response', timestamp: at('12', '13:00'), properties: { score: 9 } };
const yUse = times(2, () => ({ type: 'track', messageId: message(), userId: 'u-y', event: 'Invite Sent', timestamp: at('08') }));
const yJoins: OracleEvent = { type: 'group', messageId: message(), userId: 'u-y', groupId: 'A', timestamp: at('20', '08:00') };
const yJoinedEarlier: OracleEvent = { type: 'group', messageId: message(), userId: 'u-y', groupId: 'A', timestamp: at('04', '08:00') };

const events: OracleEvent[] = [
  founderJoins, ...founderUse, anonymousVisit, anonymousJoins, ...anonymousUse, anonymousAnswer, signUp, laterUse, laterAnswer, ...yUse, yJoins, yJoinedEarlier,
];
const rest = events.filter((event) => event !== signUp && event !== anonymousJoins && event !== yJoinedEarlier && event !== yJoins);

/** The same events in batches of several arrival orders (each batch one POST). */
const ARRIVALS: Record<string, OracleEvent[][]> = {
  'group call, then the identify in a later batch; the older group call last': [[yJoins, ...rest], [anonymousJoins], [signUp], [yJoinedEarlier]],
  'identify first, the anonymous group call in a later batch': [[signUp], [yJoinedEarlier, ...rest], [anonymousJoins, yJoins]],
  'one batch, identify listed before the group calls': [[signUp, yJoins, ...rest, yJoinedEarlier, anonymousJoins]],
  'retried batches, reversed order': [[yJoinedEarlier, signUp], [anonymousJoins, yJoins], [yJoinedEarlier, signUp], [...rest].reverse(), [anonymousJoins, signUp]],
};

/** What the routes must answer for account A as of a day: by hand from the events above. */
const EXPECTED: Record<string, { score: number; activeUsers: number; topUsers: { userId: string; score: number }[]; activeUsers30d: number; utilisation: number; members: number; nps: number | null }> = {
  // Before the link: anon-x's events and its group call are nobody's. u-y joined on the 4th.
  '2026-10-09': { score: 4, activeUsers: 2, topUsers: [{ userId: 'f', score: 2 }, { userId: 'u-y', score: 2 }], activeUsers30d: 2, utilisation: 0.5, members: 2, nps: null },
  // The link day: u-x is a member, its earlier anonymous events included (3 uses, answer 3).
  '2026-10-10': { score: 7, activeUsers: 3, topUsers: [{ userId: 'u-x', score: 3 }, { userId: 'f', score: 2 }, { userId: 'u-y', score: 2 }], activeUsers30d: 3, utilisation: 0.75, members: 3, nps: -100 },
  '2026-10-12': { score: 8, activeUsers: 3, topUsers: [{ userId: 'u-x', score: 4 }, { userId: 'f', score: 2 }, { userId: 'u-y', score: 2 }], activeUsers30d: 3, utilisation: 0.75, members: 3, nps: 100 },
};

describe('the hand-worked answers', () => {
  it('are what the oracle computes from docs/api.md, Definitions', () => {
    for (const [asOf, want] of Object.entries(EXPECTED)) {
      const score = oracleAccountScore(events, 'A', { asOf });
      expect({ score: score.score, activeUsers: score.activeUsers, topUsers: score.users }, asOf).toEqual({ score: want.score, activeUsers: want.activeUsers, topUsers: want.topUsers });
      expect(oracleUtilisation(events, 'A', { asOf }), asOf).toMatchObject({ activeUsers30d: want.activeUsers30d, utilisation: want.utilisation });
      expect(oracleAccountFacts(events, { asOf }).find((account) => account.accountId === 'A')!.members, asOf).toHaveLength(want.members);
      expect(oracleNps(events, { asOf, accountId: 'A' }).nps, asOf).toBe(want.nps);
    }
  });
});

describe.each(testDatabaseKinds)('memberships on %s', (kind) => {
  let t: TestApp;
  const projects = new Map<string, ProjectKeys>();

  beforeAll(async () => {
    t = await createTestApp(kind);
    for (const [name, batches] of Object.entries(ARRIVALS)) {
      const project = await t.createProject(name);
      projects.set(name, project);
      for (const batch of batches) {
        const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
        expect(response.statusCode, response.body).toBe(200);
      }
    }
  });
  afterAll(async () => t?.close());

  const get = async (project: ProjectKeys, url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  const memberships = (project: ProjectKeys) =>
    t.app.store.db
      .selectFrom('memberships')
      .select(['account_id', 'user_id', 'joined_at'])
      .where('project_id', '=', project.projectId)
      .orderBy('account_id')
      .orderBy('user_id')
      .execute();

  const checkAnswers = async (project: ProjectKeys) => {
    for (const [asOf, want] of Object.entries(EXPECTED)) {
      const score = await get(project, `/v1/accounts/A/score?asOf=${asOf}`);
      expect({ score: score['score'], activeUsers: score['activeUsers'], topUsers: score['topUsers'] }, `account score as of ${asOf}`).toEqual({
        score: want.score,
        activeUsers: want.activeUsers,
        topUsers: want.topUsers,
      });
      const utilisation = await get(project, `/v1/accounts/A/utilisation?asOf=${asOf}`);
      expect(utilisation, `utilisation as of ${asOf}`).toMatchObject({ seats: 4, activeUsers30d: want.activeUsers30d, utilisation: want.utilisation });
      const segments = await get(project, `/v1/accounts/A/segments?asOf=${asOf}`);
      expect(segments['facts']['memberCount'], `members as of ${asOf}`).toBe(want.members);
      expect((await get(project, `/v1/nps?asOf=${asOf}&accountId=A`))['nps'], `NPS of A as of ${asOf}`).toBe(want.nps);
    }
    // u-x is nobody before the link day, and scores with its anonymous history from then on.
    expect((await get(project, '/v1/scores/users?asOf=2026-10-09'))['items'].map((item: { userId: string }) => item.userId).sort()).toEqual(['f', 'u-y']);
    expect((await get(project, '/v1/users/u-x/score?asOf=2026-10-10'))['score']).toBe(3);
  };

  it.each(Object.keys(ARRIVALS))('answers the same whatever the arrival order: %s', async (name) => {
    const project = projects.get(name)!;
    await checkAnswers(project);
    expect(await memberships(project)).toEqual([
      { account_id: 'A', user_id: 'f', joined_at: new Date(at('01', '10:00')) },
      // Counted from the link day (the group call itself was on the 5th).
      { account_id: 'A', user_id: 'u-x', joined_at: new Date('2026-10-10T00:00:00.000Z') },
      // The earliest group call, although it arrived last.
      { account_id: 'A', user_id: 'u-y', joined_at: new Date(at('04', '08:00')) },
    ]);
  });

  // Two transactions: the group call's is held open (a third connection holds a row it must write
  // after resolving memberships) while the identify's runs. Real Postgres only (PGlite has one connection).
  it.skipIf(kind === 'pglite')('makes the membership when the group call and the identify are stored by concurrent transactions', async () => {
    const project = await t.createProject('Concurrent');
    const send = (batch: unknown[]) => t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const blocker = t.app.store.db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await sql`insert into account_seats (project_id, account_id, message_id, timestamp, seats) values (${project.projectId}, 'R', 'race-group', now(), 1)`.execute(connection);
      holding();
      await released;
      await sql`rollback`.execute(connection);
    });
    await held;
    const group = send([{ type: 'group', messageId: 'race-group', anonymousId: 'race-anon', groupId: 'R', timestamp: at('05'), traits: { seats: 3 } }]);
    await sleep(300); // the group call's transaction now waits for the held row
    const identify = send([{ type: 'identify', messageId: 'race-identify', anonymousId: 'race-anon', userId: 'race-user', timestamp: at('06') }]);
    await sleep(300);
    release();
    await blocker;
    for (const answer of await Promise.all([group, identify])) expect(answer.statusCode, answer.body).toBe(200);
    expect(await memberships(project)).toEqual([{ account_id: 'R', user_id: 'race-user', joined_at: new Date('2026-10-06T00:00:00.000Z') }]);
  });

  it('gives identical rows and answers after uptake rebuild', async () => {
    const before = new Map<string, unknown>();
    for (const [name, project] of projects) before.set(name, await memberships(project));
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker, projects.values().next().value!.projectId);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    for (const [name, project] of projects) {
      expect(await memberships(project), name).toEqual(before.get(name));
      await checkAnswers(project);
    }
  });
});

// ————————————————————————————————————————————————————————— on generated data

const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 11, asOf: yesterday, days: 75, accounts: 10 });
const asOfDays = [yesterday, addDays(yesterday, -9), addDays(yesterday, -31)];
const { anonymousGroupCalls, lateOlderGroupCalls } = data.scenario;
const touchedAccounts = [...new Set([...anonymousGroupCalls, ...lateOlderGroupCalls].map((entry) => entry.accountId))].sort();
/** What decides the figures of the touched accounts, per as-of day. */
const accountFigures = (list: readonly OracleEvent[]) =>
  asOfDays.flatMap((asOf) => touchedAccounts.map((accountId) => [oracleAccountScore(list, accountId, { asOf }), oracleUtilisation(list, accountId, { asOf })]));

describe('the generated data', () => {
  it('has group calls sent anonymously before the identify, and older group calls arriving late', () => {
    expect(anonymousGroupCalls.length).toBeGreaterThan(0);
    for (const { anonymousId, userId, accountId } of anonymousGroupCalls) {
      const call = data.events.findIndex((event) => event.type === 'group' && event.anonymousId === anonymousId && !event.userId && event.groupId === accountId);
      const link = data.events.find((event) => event.type === 'identify' && event.anonymousId === anonymousId && event.userId === userId);
      expect(call).toBeGreaterThanOrEqual(0);
      expect(link!.timestamp > data.events[call]!.timestamp).toBe(true);
      expect(data.events.some((event) => event.type === 'group' && event.userId === userId && event.groupId === accountId)).toBe(false);
    }
    expect(lateOlderGroupCalls.length).toBeGreaterThan(0);
    for (const { userId, accountId, joinedAt, refreshedAt } of lateOlderGroupCalls) {
      const calls = data.events.filter((event) => event.type === 'group' && event.userId === userId && event.groupId === accountId);
      expect(calls.map((event) => event.timestamp.slice(0, 10)), 'the newer call arrives first').toEqual([refreshedAt, joinedAt]);
    }
  });

  it('has figures that depend on those calls (without them the oracle answers differently)', () => {
    const anonymousIds = new Set(anonymousGroupCalls.map((entry) => entry.anonymousId));
    const withoutAnonymousJoins = data.events.filter((event) => !(event.type === 'group' && !event.userId && anonymousIds.has(event.anonymousId!)));
    expect(accountFigures(withoutAnonymousJoins)).not.toEqual(accountFigures(data.events));
    const late = new Set(lateOlderGroupCalls.map((entry) => `${entry.userId}|${entry.accountId}|${entry.joinedAt}`));
    const withoutOlderJoins = data.events.filter((event) => !(event.type === 'group' && late.has(`${event.userId}|${event.groupId}|${event.timestamp.slice(0, 10)}`)));
    expect(accountFigures(withoutOlderJoins)).not.toEqual(accountFigures(data.events));
  });
});

describe.each(testDatabaseKinds)('memberships from generated data, sent in arrival order, on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    for (let i = 0; i < data.events.length; i += 200) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: basicAuth(t.project.writeKey) },
        payload: { sentAt: new Date().toISOString(), batch: data.events.slice(i, i + 200) },
      });
      expect(response.statusCode, response.body).toBe(200);
    }
  });
  afterAll(async () => t?.close());

  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  const compare = async () => {
    for (const asOf of asOfDays) {
      for (const accountId of touchedAccounts) {
        const want = oracleAccountScore(data.events, accountId, { asOf });
        const score = await get(`/v1/accounts/${accountId}/score?asOf=${asOf}`);
        expect(score['score'], `score of ${accountId} as of ${asOf}`).toBeCloseTo(want.score, 9);
        expect(score['activeUsers'], `active users of ${accountId} as of ${asOf}`).toBe(want.activeUsers);
        expect(score['topUsers']).toEqual(want.users.slice(0, 5));
        const utilisation = oracleUtilisation(data.events, accountId, { asOf });
        expect(await get(`/v1/accounts/${accountId}/utilisation?asOf=${asOf}`), `utilisation of ${accountId} as of ${asOf}`).toMatchObject({
          activeUsers30d: utilisation.activeUsers30d,
          seats: utilisation.seats,
        });
        const from = addDays(asOf, -13);
        expect((await get(`/v1/metrics/active?from=${from}&to=${asOf}&accountId=${accountId}`))['days']).toEqual(oracleActiveSeries(data.events, { from, to: asOf, accountId }).days);
        expect(await get(`/v1/nps?asOf=${asOf}&accountId=${accountId}`)).toMatchObject(oracleNps(data.events, { asOf, accountId }));
      }
    }
  };

  it('answers as the oracle for the accounts joined anonymously or late', compare);

  it('answers the same after uptake rebuild', async () => {
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker, t.project.projectId);
    await compare();
  });
});
