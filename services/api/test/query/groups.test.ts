import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillActiveDays } from '../../src/derived/active-days.ts';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, oracleSnapshot, type OracleEvent, type OracleScoreModel } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// GET /v1/accounts/:accountId/groups and GET /v1/groups against a computation written here from
// the events as sent (through the test oracle's snapshot: who each event belongs to as of a day),
// for several days, traits and model versions, on both databases.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 18, asOf: yesterday, days: 70, accounts: 8 });
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
const firstAccount = data.accounts[0]!.accountId;
const firstUser = data.accounts[0]!.userIds[0]!;
// Traits the generated users never have: a null and an empty role; a `tier` trait as a number, the
// same as text (another group), an object (missing); and a role that changes between the days asked
// (so the trait must be read as of each day).
const extra: OracleEvent[] = [
  { type: 'identify', messageId: 'g-1', timestamp: at(addDays(yesterday, -40), '08:00'), userId: 'g-number', traits: { role: null, tier: 7 } },
  { type: 'track', messageId: 'g-2', timestamp: at(addDays(yesterday, -2), '09:00'), userId: 'g-number', event: 'Export CSV', properties: { accountId: firstAccount } },
  { type: 'identify', messageId: 'g-3', timestamp: at(addDays(yesterday, -40), '08:00'), userId: 'g-object', traits: { tier: { name: 'admin' } } },
  { type: 'track', messageId: 'g-4', timestamp: at(addDays(yesterday, -3), '09:00'), userId: 'g-object', event: 'Report Created', properties: { accountId: firstAccount } },
  { type: 'identify', messageId: 'g-5', timestamp: at(addDays(yesterday, -40), '08:00'), userId: 'g-empty', traits: { role: '', tier: '7' } },
  { type: 'identify', messageId: 'g-6', timestamp: at(addDays(yesterday, -5), '08:00'), userId: firstUser, traits: { role: 'owner' } },
  // Active in the window of day −8 only through an anonymous visit linked on day −3: not as of day
  // −8, though the kept activity (links as they are now) holds that visit.
  { type: 'identify', messageId: 'g-7', timestamp: at(addDays(yesterday, -40), '08:00'), userId: 'g-split', traits: { role: 'viewer' } },
  { type: 'page', messageId: 'g-8', timestamp: at(addDays(yesterday, -12), '08:00'), anonymousId: 'anon-g-split', name: 'Pricing' },
  { type: 'identify', messageId: 'g-9', timestamp: at(addDays(yesterday, -3), '08:00'), anonymousId: 'anon-g-split', userId: 'g-split' },
];
const events = [...data.events, ...extra];
/** Sent by the test of a new event, after the others. */
const lateUse: OracleEvent = { type: 'track', messageId: 'g-new', timestamp: at(yesterday, '23:00'), userId: 'g-number', event: 'Report Created', properties: { accountId: firstAccount } };
const asOfDays = [yesterday, addDays(yesterday, -8), addDays(yesterday, -35)];
const v2: OracleScoreModel = { version: 2, features: { 'Report Created': { weight: 3, label: 'Reports' }, 'Export CSV': { weight: 0.5, label: 'Exports' } }, windowDays: 14, dailyCap: 4 };

type Group = { value: string | number | boolean | null; missing: boolean; users: number; activeUsers: number; score: number; perActiveUser: number; topFeatures: Array<{ event: string; label: string; points: number }> };

/** The groups as docs/api.md defines them, computed from the events. */
function expectedGroups(asOf: string, trait: string, model: OracleScoreModel, accountId?: string, sent: readonly OracleEvent[] = events): Group[] {
  const snapshot = oracleSnapshot([...sent], asOf);
  const windowDays = model.windowDays ?? 30;
  const cap = model.dailyCap ?? 20;
  const from = addDays(asOf, -(windowDays - 1));
  const users = accountId === undefined ? [...snapshot.userFirstSeen.keys()] : [...(snapshot.members.get(accountId) ?? [])];
  const inScope = snapshot.events.filter((event) => event.user !== null && event.day >= from && event.day <= asOf && (accountId === undefined || event.accounts.includes(accountId)));
  const spec = (name: string) => (model.features ? model.features[name] : name.startsWith('$') ? undefined : { weight: 1, label: name });
  const perDay = new Map<string, number>();
  for (const event of inScope) {
    if (event.source.type !== 'track' || !spec(event.source.event!)) continue;
    const key = JSON.stringify([event.user, event.source.event, event.day]);
    perDay.set(key, (perDay.get(key) ?? 0) + 1);
  }
  const points = new Map<string, Map<string, number>>(); // user → event → points
  for (const [key, count] of perDay) {
    const [user, name] = JSON.parse(key) as [string, string];
    const byEvent = points.get(user) ?? new Map<string, number>();
    byEvent.set(name, (byEvent.get(name) ?? 0) + spec(name)!.weight * Math.min(count, cap));
    points.set(user, byEvent);
  }
  const active = new Set(inScope.filter((event) => event.isActivity).map((event) => event.user!));
  const groups = new Map<string, Group & { features: Map<string, number> }>();
  for (const user of users) {
    const raw = snapshot.userTraits.get(user)?.[trait];
    const value = (typeof raw === 'string' && raw !== '') || typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw)) ? (raw as string | number | boolean) : null;
    const key = value === null ? '∅' : `${typeof value}:${String(value)}`;
    const group = groups.get(key) ?? { value, missing: value === null, users: 0, activeUsers: 0, score: 0, perActiveUser: 0, topFeatures: [], features: new Map<string, number>() };
    group.users += 1;
    if (active.has(user)) group.activeUsers += 1;
    for (const [name, value_] of points.get(user) ?? []) {
      group.score += value_;
      group.features.set(name, (group.features.get(name) ?? 0) + value_);
    }
    groups.set(key, group);
  }
  const order = (group: Group) => (group.value === null ? '\uffff' : `${typeof group.value}:${String(group.value)}`);
  return [...groups.values()]
    .map(({ features, ...group }) => ({
      ...group,
      perActiveUser: group.activeUsers === 0 ? 0 : group.score / group.activeUsers,
      topFeatures: [...features]
        .filter(([, value]) => value > 0)
        .map(([event, value]) => ({ event, label: spec(event)!.label, points: value }))
        .sort((a, b) => b.points - a.points || (a.event < b.event ? -1 : 1))
        .slice(0, 3),
    }))
    .sort((a, b) => b.score - a.score || (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** Equal to the expected groups, sums to 1e-9. */
const onWire = (groups: Group[]) =>
  groups.map((group) => ({
    ...group,
    score: expect.closeTo(group.score, 9),
    perActiveUser: expect.closeTo(group.perActiveUser, 9),
    topFeatures: group.topFeatures.map((feature) => ({ ...feature, points: expect.closeTo(feature.points, 9) })),
  }));

describe.each(testDatabaseKinds)('scores by group on %s', (kind) => {
  let t: TestApp;
  const call = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const get = async (url: string) => {
    const response = await call(url);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, events);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { features: v2.features, windowDays: v2.windowDays, dailyCap: v2.dailyCap, activate: false },
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => t?.close());

  it('answers every account’s role groups as computed from the events, for several days and both models', async () => {
    for (const asOf of asOfDays) {
      for (const model of [{ version: 1 }, v2] as OracleScoreModel[]) {
        for (const account of data.accounts) {
          const answer = await get(`/v1/accounts/${encodeURIComponent(account.accountId)}/groups?asOf=${asOf}&model=${model.version}`);
          expect(answer, `${account.accountId} ${asOf} v${model.version}`).toEqual({
            accountId: account.accountId,
            trait: 'role',
            asOf,
            model: { version: model.version },
            window: { from: addDays(asOf, -((model.windowDays ?? 30) - 1)), to: asOf },
            groups: onWire(expectedGroups(asOf, 'role', model, account.accountId)),
          });
        }
      }
    }
    // The data covers what matters: several roles, a missing group, an active-less group, the role changed on day −5.
    const groups = expectedGroups(yesterday, 'role', { version: 1 }, firstAccount);
    expect(groups.some((group) => group.missing)).toBe(true);
    expect(groups.filter((group) => !group.missing).length).toBeGreaterThanOrEqual(2);
    expect(groups.some((group) => group.value === 'owner')).toBe(true);
    expect(expectedGroups(addDays(yesterday, -8), 'role', { version: 1 }, firstAccount).some((group) => group.value === 'owner')).toBe(false);
  });

  it('answers the project-wide groups for another trait and the default one', async () => {
    for (const asOf of asOfDays) {
      expect((await get(`/v1/groups?asOf=${asOf}`))['groups'], asOf).toEqual(onWire(expectedGroups(asOf, 'role', { version: 1 })));
      expect((await get(`/v1/groups?asOf=${asOf}&trait=isChampion&model=2`))['groups'], asOf).toEqual(onWire(expectedGroups(asOf, 'isChampion', v2)));
      expect((await get(`/v1/accounts/${firstAccount}/groups?asOf=${asOf}&trait=tier`))['groups'], asOf).toEqual(onWire(expectedGroups(asOf, 'tier', { version: 1 }, firstAccount)));
      // Project-wide, values of three types (7, "7", an object) under a model with a fractional weight.
      expect((await get(`/v1/groups?asOf=${asOf}&trait=tier&model=2`))['groups'], asOf).toEqual(onWire(expectedGroups(asOf, 'tier', v2)));
    }
    const answer = await get(`/v1/groups?asOf=${yesterday}&trait=isChampion`);
    expect(answer['accountId']).toBeNull();
    expect(answer['groups'].map((group: Group) => group.value)).toEqual(expect.arrayContaining([true, null]));
    expect((await get(`/v1/groups?asOf=${yesterday}&trait=tier`))['groups'].map((group: Group) => group.value)).toEqual(expect.arrayContaining([7, '7', null]));
    // Every user is in one group.
    const users = (answer['groups'] as Group[]).reduce((sum, group) => sum + group.users, 0);
    expect(users).toBe(oracleSnapshot(events, yesterday).userFirstSeen.size);
  });

  it('a new event shows at once, in the account and project-wide (one day of the kept days recomputed)', async () => {
    const before = await get(`/v1/accounts/${firstAccount}/groups?asOf=${yesterday}&model=2&trait=tier`);
    const projectBefore = await get(`/v1/groups?asOf=${yesterday}&model=2&trait=tier`);
    const sent = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${t.project.writeKey}` },
      payload: { batch: [lateUse] },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const after = await get(`/v1/accounts/${firstAccount}/groups?asOf=${yesterday}&model=2&trait=tier`);
    const score = (answer: Record<string, any>) => (answer['groups'] as Group[]).find((group) => group.value === 7)!.score;
    expect(score(after)).toBe(score(before) + 3);
    expect(score(await get(`/v1/groups?asOf=${yesterday}&model=2&trait=tier`))).toBe(score(projectBefore) + 3);
  });

  it('refuses hostile parameters with a 400 naming them; an unknown account is a 404', async () => {
    const cases: Array<[string, string]> = [
      [`/v1/groups?trait=`, 'trait'],
      [`/v1/groups?trait=${'x'.repeat(201)}`, 'trait'],
      [`/v1/groups?trait=a%00b`, 'trait'],
      [`/v1/groups?asOf=2026-02-30`, 'asOf'],
      [`/v1/groups?asOf=1999-12-31`, 'asOf'],
      [`/v1/groups?asOf=9999-01-01`, 'asOf'],
      [`/v1/groups?model=0`, 'model'],
      [`/v1/groups?model=1.5`, 'model'],
      [`/v1/groups?model=abc`, 'model'],
      [`/v1/groups?model=99`, 'model'],
      [`/v1/accounts/a%00b/groups`, 'accountId'],
    ];
    for (const [url, path] of cases) {
      const response = await call(url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json(), url).toMatchObject({ error: expect.any(String), path, message: expect.stringContaining(path) });
    }
    // Trait names that look like SQL or JSON paths are only names.
    for (const trait of ["role' or '1'='1", '__proto__', 'a.b', '{role}']) {
      const answer = await get(`/v1/groups?trait=${encodeURIComponent(trait)}&asOf=${yesterday}`);
      expect(answer['groups'], trait).toEqual([expect.objectContaining({ missing: true, value: null, users: oracleSnapshot(events, yesterday).userFirstSeen.size })]);
    }
    expect((await call('/v1/accounts/nobody-here/groups')).statusCode).toBe(404);
    expect((await call('/v1/groups', t.project.writeKey)).statusCode).toBe(401);
  });

  it('brings the project-wide groups up to date after a role set and a newcomer on their last day, and an event of an earlier day', async () => {
    // The window's counts before its last day are one kept sum (query/groups.queries.ts), grouped
    // by the roles as of the last day: a role set that day moves the user's earlier counts too.
    let sent: OracleEvent[] = [...events, lateUse];
    expect((await get(`/v1/groups?asOf=${yesterday}`))['groups']).toEqual(onWire(expectedGroups(yesterday, 'role', { version: 1 }, undefined, sent)));
    const batches: OracleEvent[][] = [
      // And a newcomer, active on the last day only: the missing group gains a user and an active one.
      [
        { type: 'identify', messageId: 'g-10', timestamp: at(yesterday, '20:00'), userId: firstUser, traits: { role: 'auditor' } },
        { type: 'page', messageId: 'g-12', timestamp: at(yesterday, '21:00'), userId: 'g-newcomer', name: 'Home' },
      ],
      [{ type: 'track', messageId: 'g-11', timestamp: at(addDays(yesterday, -4), '20:00'), userId: firstUser, event: 'Export CSV' }],
    ];
    let before = await get(`/v1/groups?asOf=${yesterday}`);
    for (const batch of batches) {
      sent = [...sent, ...batch];
      await ingestEvents(t.app, t.project.writeKey, batch);
      const now = await get(`/v1/groups?asOf=${yesterday}`);
      expect(now['groups']).toEqual(onWire(expectedGroups(yesterday, 'role', { version: 1 }, undefined, sent)));
      expect(now['groups'], 'the groups moved').not.toEqual(before['groups']);
      before = now;
    }
    expect(before['groups'].find((group: Group) => group.value === 'auditor').score).toBeGreaterThan(0);
  });
});

// The project-wide groups with the kept points and active days (derived/score-points.ts,
// derived/active-days.ts) and their corrections: every day still queued, then folded (the kept
// days hold a visit linked after day −8), then one new event queued after the fold.
describe.each(testDatabaseKinds)('scores by group from the kept points and activity on %s', (kind) => {
  let t: TestApp;
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  const compare = async () => {
    for (const asOf of asOfDays) expect((await get(`/v1/groups?asOf=${asOf}`))['groups'], asOf).toEqual(onWire(expectedGroups(asOf, 'role', { version: 1 })));
  };

  beforeAll(async () => {
    // No worker: the test folds. Filled before any event, so every point and active day is queued by ingestion.
    t = await createTestApp(kind, { scorePoints: { run: false } });
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await fillActiveDays(t.app.store.db, t.project.projectId);
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 150, seed: 4 });
  });
  afterAll(async () => t?.close());

  it('answers as the events say while every day is still queued', async () => {
    expect(await t.app.store.db.selectFrom('user_active_days').select('user_id').where('project_id', '=', t.project.projectId).execute()).toEqual([]);
    await compare();
  });

  it('answers as the events say once folded, as of a day before a later link', async () => {
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    expect(await t.app.store.db.selectFrom('user_active_days').select('user_id').where('project_id', '=', t.project.projectId).where('user_id', '=', 'g-split').execute()).toHaveLength(1);
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    await compare();
    // The visit linked on day −3 does not make its user active as of day −8.
    const viewers = (asOf: string) => expectedGroups(asOf, 'role', { version: 1 }).find((group) => group.value === 'viewer')!.activeUsers;
    expect(viewers(addDays(yesterday, -8))).toBeLessThan(viewers(addDays(yesterday, -3)));
  });
});
