import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// A small world whose every figure is worked out by hand below (docs/api.md, Definitions), not by the service.
let sequence = 0;
const at = (day: string, hour = 12) => `2026-01-${day}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const message = () => `q-${++sequence}`;
const track = (userId: string | null, event: string, day: string, extra: Record<string, unknown> = {}) => ({
  type: 'track', messageId: message(), event, timestamp: at(day), ...(userId ? { userId } : {}), ...extra,
});
const times = (n: number, make: () => unknown) => Array.from({ length: n }, make);

function world(): unknown[] {
  return [
    { type: 'group', messageId: message(), userId: 'u1', groupId: 'A', timestamp: at('01'), traits: { name: 'Acme', seats: 4 } },
    { type: 'group', messageId: message(), userId: 'u2', groupId: 'A', timestamp: at('01') },
    ...times(25, () => track('u1', 'Report Created', '10')),
    ...times(3, () => track('u1', 'Report Created', '12')),
    { type: 'page', messageId: message(), userId: 'u1', name: 'Home', timestamp: at('15') },
    // u2 is in A, but these name account B: they count for B only.
    ...times(2, () => track('u2', 'Export', '12', { context: { groupId: 'B' } })),
    // Anonymous before the identify that links it to u3: counts as u3's.
    track(null, 'Report Created', '05', { anonymousId: 'anon-9' }),
    { type: 'identify', messageId: message(), userId: 'u3', anonymousId: 'anon-9', timestamp: at('20'), traits: { role: 'dev' } },
    { type: 'group', messageId: message(), userId: 'u3', groupId: 'B', timestamp: at('20') },
    track('u3', '$session_start', '21', { properties: { sessionId: 's1' } }),
    track('u4', '$nps_response', '20', { properties: { score: 9 } }),
    track('u1', '$nps_response', '11', { properties: { score: 3 } }),
    track('u1', '$nps_response', '25', { properties: { score: 10 } }),
    track('u2', '$nps_response', '14', { properties: { score: 7 } }),
  ];
}

describe.each(testDatabaseKinds)('query figures on %s', (kind) => {
  let t: TestApp;
  const events = world();
  const get = async (url: string, key = t.project.secretKey) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    return { status: response.statusCode, body: response.json() as Record<string, any> };
  };
  const send = (batch: unknown[], writeKey = t.project.writeKey) =>
    t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${writeKey}` }, payload: { batch } });

  beforeAll(async () => {
    t = await createTestApp(kind);
    // In several batches, the identify after the anonymous event it links.
    for (let i = 0; i < events.length; i += 7) expect((await send(events.slice(i, i + 7))).statusCode).toBe(200);
  });
  afterAll(async () => t?.close());

  const checkEverything = async () => {
    const u1 = await get('/v1/users/u1/score?asOf=2026-01-31');
    expect(u1.status).toBe(200);
    expect(u1.body).toEqual({
      userId: 'u1', score: 23, percentile: 100, model: { version: 1 }, window: { from: '2026-01-02', to: '2026-01-31' },
      breakdown: [{ event: 'Report Created', label: 'Report Created', count: 23, weight: 1, points: 23 }],
    });
    expect((await get('/v1/users/u2/score?asOf=2026-01-31')).body).toMatchObject({ score: 2, percentile: 67 });
    expect((await get('/v1/users/u3/score?asOf=2026-01-31')).body).toMatchObject({ score: 1, percentile: 33 });
    expect((await get('/v1/users/u4/score?asOf=2026-01-31')).body).toMatchObject({ score: 0, percentile: 0, breakdown: [] });
    // Window 2026-01-06 … 2026-02-04: the anonymous event of the 5th has left it.
    expect((await get('/v1/users/u3/score?asOf=2026-02-04')).body).toMatchObject({ score: 0 });

    const a = await get('/v1/accounts/A/score?asOf=2026-01-31');
    expect(a.body).toMatchObject({ accountId: 'A', score: 23, percentile: 100, activeUsers: 1, perActiveUser: 23, topUsers: [{ userId: 'u1', score: 23 }] });
    const b = await get('/v1/accounts/B/score?asOf=2026-01-31');
    expect(b.body).toMatchObject({ accountId: 'B', score: 3, percentile: 0, activeUsers: 2, perActiveUser: 1.5, topUsers: [{ userId: 'u2', score: 2 }, { userId: 'u3', score: 1 }] });

    const users = await get('/v1/scores/users?asOf=2026-01-31&limit=3');
    expect(users.body['items']).toEqual([
      { userId: 'u1', score: 23, percentile: 100 },
      { userId: 'u2', score: 2, percentile: 67 },
      { userId: 'u3', score: 1, percentile: 33 },
    ]);
    const next = await get(`/v1/scores/users?asOf=2026-01-31&limit=3&cursor=${users.body['nextCursor']}`);
    expect(next.body).toMatchObject({ items: [{ userId: 'u4', score: 0, percentile: 0 }], nextCursor: null });
    expect((await get('/v1/scores/accounts?asOf=2026-01-31&order=asc')).body['items']).toEqual([
      { accountId: 'B', score: 3, percentile: 0 },
      { accountId: 'A', score: 23, percentile: 100 },
    ]);

    const active = await get('/v1/metrics/active?from=2026-01-12&to=2026-01-21');
    const day = (date: string) => active.body['days'].find((d: { date: string }) => d.date === date);
    expect(active.body['days']).toHaveLength(10);
    expect(day('2026-01-12')).toEqual({ date: '2026-01-12', dau: 2, wau: 2, mau: 3, stickiness: 2 / 3 });
    expect(day('2026-01-21')).toEqual({ date: '2026-01-21', dau: 1, wau: 2, mau: 3, stickiness: 1 / 3 });
    expect(day('2026-01-16')).toEqual({ date: '2026-01-16', dau: 0, wau: 2, mau: 3, stickiness: 0 });
    const activeA = await get('/v1/metrics/active?from=2026-01-12&to=2026-01-12&accountId=A');
    expect(activeA.body['days']).toEqual([{ date: '2026-01-12', dau: 1, wau: 1, mau: 1, stickiness: 1 }]);
    // As of the 12th, u3 had not joined B yet (the 20th): only u2's events naming B count.
    const activeB = await get('/v1/metrics/active?from=2026-01-12&to=2026-01-12&accountId=B');
    expect(activeB.body['days']).toEqual([{ date: '2026-01-12', dau: 1, wau: 1, mau: 1, stickiness: 1 }]);
    const activeBLater = await get('/v1/metrics/active?from=2026-01-12&to=2026-01-12&accountId=B&asOf=2026-01-31');
    expect(activeBLater.body['days']).toEqual([{ date: '2026-01-12', dau: 1, wau: 1, mau: 2, stickiness: 0.5 }]);

    expect((await get('/v1/accounts/A/utilisation?asOf=2026-01-31')).body).toEqual({
      accountId: 'A', asOf: '2026-01-31', seats: 4, activeUsers30d: 1, utilisation: 0.25, utilisation30dAgo: 0, change: null,
    });
    expect((await get('/v1/accounts/A/utilisation?asOf=2026-02-20')).body).toMatchObject({ activeUsers30d: 0, utilisation: 0, utilisation30dAgo: 0.25, change: -1 });
    expect((await get('/v1/accounts/B/utilisation?asOf=2026-01-31')).body).toMatchObject({ seats: null, activeUsers30d: 2, utilisation: null, change: null });

    const nps = await get('/v1/nps?to=2026-01-31');
    expect(nps.body).toMatchObject({ from: '2025-11-03', to: '2026-01-31', nps: 67, responses: 3, promoters: 2, passives: 1, detractors: 0 });
    expect(nps.body['trend']['previous']).toMatchObject({ from: '2025-10-04', to: '2026-01-01', responses: 0, nps: null });
    expect((await get('/v1/nps?to=2026-01-31&accountId=A')).body).toMatchObject({ nps: 50, responses: 2, promoters: 1, passives: 1 });
    expect((await get('/v1/nps?to=2026-01-12')).body).toMatchObject({ nps: -100, responses: 1, detractors: 1 });
  };

  it('answers every figure as worked out by hand', checkEverything);

  it('counts nothing twice when a batch is retried', async () => {
    const response = await send(events.slice(0, 7));
    expect(response.json()).toMatchObject({ accepted: 0, duplicates: 7 });
    await checkEverything();
  });

  it('gives the same answers after a rebuild from the events', async () => {
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    await checkEverything();
  });

  it('scores under a new model version while the old one stays queryable', async () => {
    const created = await t.app.inject({
      method: 'POST', url: '/v1/score-models', headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { features: { 'Report Created': { weight: 2, label: 'Reports' }, Export: { weight: 5, label: 'Exports' } }, dailyCap: 10 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ version: 2, status: 'active', windowDays: 30, dailyCap: 10 });
    // u1: (min(25, 10) + 3) × 2 = 26; u2: 2 × 5 = 10; u3: 1 × 2 = 2.
    expect((await get('/v1/users/u1/score?asOf=2026-01-31')).body).toMatchObject({
      score: 26, model: { version: 2 }, breakdown: [{ event: 'Report Created', label: 'Reports', count: 13, weight: 2, points: 26 }],
    });
    expect((await get('/v1/users/u2/score?asOf=2026-01-31')).body).toMatchObject({ score: 10, percentile: 67 });
    expect((await get('/v1/accounts/B/score?asOf=2026-01-31')).body).toMatchObject({ score: 12, model: { version: 2 } });
    expect((await get('/v1/users/u1/score?asOf=2026-01-31&model=1')).body).toMatchObject({ score: 23, model: { version: 1 } });

    const shadow = await t.app.inject({
      method: 'POST', url: '/v1/score-models', headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { features: { Export: { weight: 1, label: 'Exports' } }, activate: false },
    });
    expect(shadow.json()).toMatchObject({ version: 3, status: 'shadow' });
    const models = (await get('/v1/score-models')).body['models'] as Array<{ version: number; status: string }>;
    expect(models.map((m) => [m.version, m.status])).toEqual([[3, 'shadow'], [2, 'active'], [1, 'retired']]);
    expect((await get('/v1/users/u2/score?asOf=2026-01-31&model=3')).body).toMatchObject({ score: 2, model: { version: 3 } });
  });

  it('answers 400 naming the bad parameter, 404 for the unknown, 401 for a write key', async () => {
    expect((await get('/v1/users/u1/score?asOf=yesterday')).body).toMatchObject({ error: 'invalid_request', path: 'asOf' });
    expect((await get('/v1/users/u1/score?model=99')).body).toMatchObject({ error: 'unknown_model', path: 'model' });
    expect((await get('/v1/scores/users?limit=0')).body).toMatchObject({ path: 'limit' });
    expect((await get('/v1/scores/users?cursor=zzz')).body).toMatchObject({ path: 'cursor' });
    expect((await get('/v1/metrics/active?from=2026-02-01&to=2026-01-01')).body).toMatchObject({ path: 'from' });
    const missing = await get('/v1/users/nobody/score');
    expect(missing.status).toBe(404);
    expect(missing.body['message']).toContain('nobody');
    expect((await get('/v1/accounts/nowhere/utilisation')).status).toBe(404);
    const withWriteKey = await get('/v1/users/u1/score', t.project.writeKey);
    expect(withWriteKey.status).toBe(401);
    expect(withWriteKey.body).toMatchObject({ error: 'write_key_not_allowed' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/nps' })).statusCode).toBe(401);
  });
});
