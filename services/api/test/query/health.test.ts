import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ORACLE_DEFAULT_HEALTH, oracleHealth, oracleScoreChanges, type OracleHealth, type OracleHealthModel } from '../support/health-oracle.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, oracleAccountScore, oracleRanking, oracleUserScore, type OracleEvent, type OracleScoreModel } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// Account health and explained score changes compared with the independent oracle
// (support/health-oracle.ts) on generated data, for several days, health model versions and
// score model versions, on every database.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 181, asOf: yesterday, days: 70, accounts: 8 });
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
// A champion who stays active (the generated champions go quiet) and an NPS answer in its account.
const extra: OracleEvent[] = [
  { type: 'identify', messageId: 'hx-1', timestamp: at(addDays(yesterday, -40), '08:00'), userId: 'user-champ', traits: { isChampion: true } },
  { type: 'group', messageId: 'hx-2', timestamp: at(addDays(yesterday, -40), '08:01'), userId: 'user-champ', groupId: 'acct-01' },
  { type: 'track', messageId: 'hx-3', timestamp: at(addDays(yesterday, -2), '10:00'), userId: 'user-champ', event: 'Export CSV' },
  { type: 'track', messageId: 'hx-4', timestamp: at(addDays(yesterday, -3), '10:00'), userId: 'user-champ', event: '$nps_response', properties: { score: 10 } },
  // An account never active: no score in either window, so no trend.
  { type: 'group', messageId: 'hx-5', timestamp: at(addDays(yesterday, -50), '09:00'), userId: 'user-quiet', groupId: 'zz-quiet', traits: { name: 'Quiet' } },
  // A user who stopped: active in acct-02 45 days ago, never since.
  { type: 'track', messageId: 'hx-6', timestamp: at(addDays(yesterday, -45), '11:00'), userId: 'user-gone', event: 'Report Created', properties: { accountId: 'acct-02' } },
];
const events = [...data.events, ...extra];
const asOfDays = [yesterday, addDays(yesterday, -9), addDays(yesterday, -31)];

const SHADOW_HEALTH: OracleHealthModel = { weights: { engagement: 10, utilisation: 0, nps: 30, trend: 20, champions: 20, breadth: 20 }, bands: { yellow: 30, green: 60 } };
const ACTIVE_HEALTH: OracleHealthModel = { weights: { engagement: 50, utilisation: 50, nps: 0, trend: 0, champions: 0, breadth: 0 }, bands: { yellow: 20, green: 50 } };
const SCORE_MODEL: OracleScoreModel & { features: NonNullable<OracleScoreModel['features']> } = {
  version: 2,
  features: { 'Report Created': { weight: 2, label: 'Reports' }, 'Export CSV': { weight: 3, label: 'Exports' }, 'Invite Sent': { weight: 1, label: 'Invites' } },
  windowDays: 14,
  dailyCap: 5,
};

const memo = new Map<string, unknown>();
const remember = <T>(key: string, compute: () => T): T => {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
};
const expectedHealth = (asOf: string, health = ORACLE_DEFAULT_HEALTH, model?: OracleScoreModel) =>
  remember(`${asOf}:${JSON.stringify(health)}:${model?.version ?? 1}`, () => oracleHealth(events, { asOf, health, ...(model ? { model } : {}) }));

function expectSameHealth(got: Record<string, any>, want: OracleHealth, what: string) {
  expect(got['score'], `${what} score`).toBe(want.score);
  expect(got['band'], `${what} band`).toBe(want.band);
  expect(got['components'].map((c: any) => c.key), what).toEqual(want.components.map((c) => c.key));
  for (const [index, component] of want.components.entries()) {
    const actual = got['components'][index];
    if (component.raw === null) expect(actual.raw, `${what} ${component.key} raw`).toBeNull();
    else expect(actual.raw, `${what} ${component.key} raw`).toBeCloseTo(component.raw, 9);
    expect(actual.normalised, `${what} ${component.key} normalised`).toBe(component.normalised);
    expect(actual.weight, `${what} ${component.key} weight`).toBe(component.weight);
    expect(actual.contribution, `${what} ${component.key} contribution`).toBe(component.contribution);
  }
  // The contributions add up to the score exactly.
  if (want.score !== null) expect(got['components'].reduce((sum: number, c: any) => sum + c.contribution, 0), `${what} Σ contributions`).toBe(got['score']);
}

describe.each(testDatabaseKinds)('account health and score changes against the oracle on %s', (kind) => {
  let t: TestApp;
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.project.secretKey}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return response;
  };
  const get = async (url: string) => {
    const response = await call('GET', url);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 150, seed: 9 });
    const model = await call('POST', '/v1/score-models', { features: SCORE_MODEL.features, windowDays: SCORE_MODEL.windowDays, dailyCap: SCORE_MODEL.dailyCap, activate: false });
    expect(model.json()).toMatchObject({ version: 2, status: 'shadow' });
  });
  afterAll(async () => t?.close());

  it('answers every account’s health as the oracle does, for several days (default model v1 without a write)', async () => {
    const models = await get('/v1/health-models');
    expect(models['models']).toEqual([{ version: 1, status: 'active', weights: ORACLE_DEFAULT_HEALTH.weights, bands: ORACLE_DEFAULT_HEALTH.bands, createdAt: null }]);
    let checked = 0;
    const bands = new Set<string | null>();
    for (const asOf of asOfDays) {
      const expected = expectedHealth(asOf);
      expect(expected.size, `accounts as of ${asOf}`).toBeGreaterThan(3);
      for (const [accountId, want] of expected) {
        const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health?asOf=${asOf}`);
        expect(got).toMatchObject({ accountId, asOf, healthModel: { version: 1 }, model: { version: 1 } });
        expectSameHealth(got, want, `${accountId} as of ${asOf}`);
        bands.add(want.band);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The data exercises more than one band, and every component is known somewhere and unknown somewhere.
    expect(bands.size).toBeGreaterThan(1);
    const all = [...expectedHealth(yesterday).values()];
    for (const key of ['utilisation', 'nps', 'trend', 'champions']) {
      expect(all.some((h) => h.components.find((c) => c.key === key)!.raw !== null), `${key} known somewhere`).toBe(true);
      expect(all.some((h) => h.components.find((c) => c.key === key)!.raw === null), `${key} unknown somewhere`).toBe(true);
    }
  });

  it('keeps older versions’ answers: a shadow health model answers alongside, an activated one retires v1 which stays queryable', async () => {
    const before = await get(`/v1/accounts/acct-01/health?asOf=${yesterday}`);
    const shadow = await call('POST', '/v1/health-models', { ...SHADOW_HEALTH, activate: false });
    expect(shadow.statusCode, shadow.body).toBe(201);
    expect(shadow.json()).toMatchObject({ version: 2, status: 'shadow', weights: SHADOW_HEALTH.weights, bands: SHADOW_HEALTH.bands });
    for (const asOf of [yesterday, asOfDays[2]!]) {
      for (const [accountId, want] of expectedHealth(asOf, SHADOW_HEALTH)) {
        const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health?asOf=${asOf}&version=2`);
        expect(got['healthModel']).toEqual({ version: 2 });
        expectSameHealth(got, want, `${accountId} v2 as of ${asOf}`);
      }
    }
    expect(await get(`/v1/accounts/acct-01/health?asOf=${yesterday}`)).toEqual(before);
    const active = await call('POST', '/v1/health-models', ACTIVE_HEALTH);
    expect(active.json()).toMatchObject({ version: 3, status: 'active' });
    expect((await get('/v1/health-models'))['models'].map((m: any) => [m.version, m.status])).toEqual([
      [3, 'active'],
      [2, 'shadow'],
      [1, 'retired'],
    ]);
    expect(await get(`/v1/accounts/acct-01/health?asOf=${yesterday}&version=1`)).toEqual(before);
    for (const [accountId, want] of expectedHealth(yesterday, ACTIVE_HEALTH)) {
      expectSameHealth(await get(`/v1/accounts/${encodeURIComponent(accountId)}/health?asOf=${yesterday}`), want, `${accountId} v3`);
    }
  });

  it('computes health under another score model version (?model=)', async () => {
    for (const [accountId, want] of expectedHealth(yesterday, ORACLE_DEFAULT_HEALTH, SCORE_MODEL)) {
      const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health?asOf=${yesterday}&version=1&model=2`);
      expect(got['model']).toEqual({ version: 2 });
      expectSameHealth(got, want, `${accountId} under score model 2`);
    }
  });

  it('answers the daily series as the single-day answers, and refuses a range past the cap', async () => {
    const from = addDays(yesterday, -3);
    for (const accountId of ['acct-01', 'acct-04']) {
      const series = await get(`/v1/accounts/${accountId}/health/series?from=${from}&to=${yesterday}&version=1`);
      expect(series['days'].map((d: any) => d.date)).toEqual([from, addDays(from, 1), addDays(from, 2), yesterday]);
      for (const day of series['days']) {
        const want = expectedHealth(day.date).get(accountId) ?? { score: null, band: null };
        expect({ score: day.score, band: day.band }, `${accountId} on ${day.date}`).toEqual({ score: want.score, band: want.band });
      }
    }
    const refused = await call('GET', `/v1/accounts/acct-01/health/series?from=${addDays(yesterday, -31)}&to=${yesterday}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_request', path: 'from' });
    expect(refused.json().message).toContain('at most 31 days');
  });

  it('sorts and filters the accounts list by health and band (the active health model)', async () => {
    const expected = expectedHealth(yesterday, ACTIVE_HEALTH);
    const list = await get(`/v1/accounts?asOf=${yesterday}&sort=health&order=asc&limit=500`);
    expect(list['healthModel']).toEqual({ version: 3 });
    const order = [...expected].sort(([a, x], [b, y]) => (x.score === y.score ? (a < b ? -1 : 1) : x.score === null ? 1 : y.score === null ? -1 : x.score - y.score)).map(([id]) => id);
    expect(list['items'].map((item: any) => item.accountId)).toEqual(order);
    for (const item of list['items']) expect({ health: item.health, healthBand: item.healthBand }).toEqual({ health: expected.get(item.accountId)!.score, healthBand: expected.get(item.accountId)!.band });
    for (const band of ['red', 'yellow', 'green'] as const) {
      const only = await get(`/v1/accounts?asOf=${yesterday}&band=${band}&limit=500`);
      const want = [...expected].filter(([, h]) => h.band === band).map(([id]) => id).sort();
      expect(only['items'].map((item: any) => item.accountId).sort(), band).toEqual(want);
      expect(only['total']).toBe(want.length);
    }
  });

  it('explains account and user score changes as the oracle does; the parts add up exactly to the change', async () => {
    const pairs: Array<[string, string]> = [
      [addDays(yesterday, -30), yesterday],
      [addDays(yesterday, -9), yesterday],
      [addDays(yesterday, -45), addDays(yesterday, -10)],
      [yesterday, yesterday],
    ];
    const accounts = oracleRanking(events, 'accounts', { asOf: yesterday }).map((entry) => entry.id);
    const users = oracleRanking(events, 'users', { asOf: yesterday }).filter((_, index) => index % 4 === 0).map((entry) => entry.id);
    let stopped = 0;
    for (const [from, to] of pairs) {
      for (const accountId of accounts) {
        const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/score/changes?from=${from}&to=${to}`);
        const want = oracleScoreChanges(events, { accountId }, from, to);
        expect(got).toMatchObject({ accountId, from, to, model: { version: 1 }, scoreFrom: want.scoreFrom, scoreTo: want.scoreTo, change: want.change });
        // The same scores GET /score answers on each day.
        if (from === pairs[0]![0]) {
          expect(got['scoreFrom']).toBe(oracleAccountScore(events, accountId, { asOf: from }).score);
          expect(got['scoreTo']).toBe(oracleAccountScore(events, accountId, { asOf: to }).score);
        }
        expect(got['byFeature'].map(({ label: _l, weight: _w, ...rest }: any) => rest), `${accountId} ${from}…${to}`).toEqual(want.byFeature);
        expect(got['byUser'], `${accountId} ${from}…${to}`).toEqual(want.byUser);
        expect(got['byFeature'].reduce((sum: number, f: any) => sum + f.change, 0)).toBe(got['change']);
        expect(got['byUser'].reduce((sum: number, u: any) => sum + u.change, 0)).toBe(got['change']);
        for (const f of got['byFeature']) expect(f.entered + f.left + f.restated).toBe(f.change);
        stopped += got['byUser'].filter((u: any) => u.stopped).length;
      }
      for (const userId of users) {
        const got = await get(`/v1/users/${encodeURIComponent(userId)}/score/changes?from=${from}&to=${to}`);
        const want = oracleScoreChanges(events, { userId }, from, to);
        if (from === pairs[0]![0]) expect(got['scoreTo']).toBe(oracleUserScore(events, userId, { asOf: to }).score);
        expect({ scoreFrom: got['scoreFrom'], scoreTo: got['scoreTo'], change: got['change'] }).toEqual({ scoreFrom: want.scoreFrom, scoreTo: want.scoreTo, change: want.change });
        expect(got['byFeature'].map(({ label: _l, weight: _w, ...rest }: any) => rest)).toEqual(want.byFeature);
        expect(got).not.toHaveProperty('byUser');
      }
    }
    expect(stopped, 'the data has users who stopped').toBeGreaterThan(0);
  }, 300_000);

  it('explains changes under another score model version, weights and window included', async () => {
    const [from, to] = [addDays(yesterday, -20), yesterday];
    for (const accountId of oracleRanking(events, 'accounts', { asOf: yesterday }).map((entry) => entry.id)) {
      const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/score/changes?from=${from}&to=${to}&model=2`);
      const want = oracleScoreChanges(events, { accountId }, from, to, SCORE_MODEL);
      expect(got['model']).toEqual({ version: 2 });
      expect({ scoreFrom: got['scoreFrom'], scoreTo: got['scoreTo'], change: got['change'] }).toEqual({ scoreFrom: want.scoreFrom, scoreTo: want.scoreTo, change: want.change });
      expect(got['byFeature'].map(({ label: _l, weight: _w, ...rest }: any) => rest)).toEqual(want.byFeature);
      expect(got['byUser']).toEqual(want.byUser);
    }
  });
});
