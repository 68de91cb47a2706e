/**
 * Every parameter of the health and score-change routes asked as an attacker would: each bad one
 * is a 400 naming it (never a 500), unknown ids are 404s, and a health model body is checked field
 * by field. The routes are also in query-fuzz.test.ts through the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const today = new Date().toISOString().slice(0, 10);
const latest = addDays(today, 2);
const range = `must be a day from 2000-01-01 to ${latest} (today + 2 days, UTC)`;
const nul = 'contains a NUL character (\\u0000), which cannot be stored';
const events: OracleEvent[] = [
  { type: 'group', messageId: 'p-1', timestamp: `${addDays(today, -3)}T09:00:00.000Z`, userId: 'u1', groupId: 'A', traits: { seats: 2 } },
  { type: 'track', messageId: 'p-2', timestamp: `${addDays(today, -2)}T09:00:00.000Z`, userId: 'u1', event: 'Report Created', properties: { accountId: 'A' } },
];
const weights = { engagement: 25, utilisation: 20, nps: 15, trend: 15, champions: 10, breadth: 15 };

describe.each(testDatabaseKinds)('health and score-change parameters on %s', (kind) => {
  let t: TestApp;
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${t.project.secretKey}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, events);
  });
  afterAll(async () => t?.close());

  it.each([
    ['/v1/accounts/A/health?version=0', 'version', 'must be ≥ 1'],
    ['/v1/accounts/A/health?version=abc', 'version', 'must be a health model version number'],
    ['/v1/accounts/A/health?version=1.5', 'version', 'must be a whole number'],
    ['/v1/accounts/A/health?model=-1', 'model', 'must be ≥ 1'],
    ['/v1/accounts/A/health?asOf=2026-02-30', 'asOf', 'must be a date YYYY-MM-DD'],
    ['/v1/accounts/A/health?asOf=9999-12-31', 'asOf', range],
    ['/v1/accounts/a%00b/health', 'accountId', nul],
    [`/v1/accounts/A/health/series?from=${today}&to=${addDays(today, -1)}`, 'from', 'must not be after to'],
    [`/v1/accounts/A/health/series?from=${addDays(today, -31)}&to=${today}`, 'from', 'at most 31 days from … to'],
    ['/v1/accounts/A/health/series?from=0000-01-01', 'from', range],
    [`/v1/accounts/A/health/series?to=${addDays(today, 3)}`, 'to', range],
    ['/v1/accounts/A/health/series?version=-5', 'version', 'must be ≥ 1'],
    [`/v1/accounts/A/score/changes?from=${today}&to=${addDays(today, -1)}`, 'from', 'must not be after to'],
    [`/v1/accounts/A/score/changes?from=2000-01-01&to=${today}`, 'from', 'at most 400 days from … to'],
    ['/v1/accounts/A/score/changes?model=NaN', 'model', 'must be a model version number'],
    ['/v1/users/u1/score/changes?from=2026-13-01', 'from', 'must be a date YYYY-MM-DD'],
    ['/v1/users/%00/score/changes', 'userId', nul],
    [`/v1/users/u1/score/changes?from=${today}&to=${addDays(today, -30)}`, 'from', 'must not be after to'],
    ['/v1/accounts?band=purple', 'band', 'must be red, yellow or green'],
    ['/v1/accounts?sort=healthy', 'sort', 'must be one of score, utilisation, name, activeUsers30d, lastActive, health'],
  ])('GET %s → 400 naming %s', async (url, path, message) => {
    const response = await call('GET', url);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', message: `${path}: ${message}`, path });
  });

  it('names an unknown model version, and answers 404 for an unknown account or user', async () => {
    expect((await call('GET', '/v1/accounts/A/health?version=7')).json()).toEqual({ error: 'unknown_health_model', message: 'version: this project has no health model version 7', path: 'version' });
    expect((await call('GET', '/v1/accounts/A/health/series?version=7')).json()).toMatchObject({ error: 'unknown_health_model', path: 'version' });
    expect((await call('GET', '/v1/accounts/A/health?model=7')).json()).toMatchObject({ error: 'unknown_model', path: 'model' });
    expect((await call('GET', '/v1/accounts/A/score/changes?model=7')).json()).toMatchObject({ error: 'unknown_model', path: 'model' });
    for (const url of ['/v1/accounts/nobody/health', '/v1/accounts/nobody/health/series', '/v1/accounts/nobody/score/changes', '/v1/users/nobody/score/changes']) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(404);
    }
    // Before it was seen, a known account has no health: no score, no band, no components.
    const early = await call('GET', `/v1/accounts/A/health?asOf=${addDays(today, -10)}`);
    expect(early.json()).toMatchObject({ accountId: 'A', score: null, band: null, components: [] });
    // Days before the first one seen have no score in the series (the 32-day refusal above bounds it).
    expect((await call('GET', `/v1/accounts/A/health/series?from=${addDays(today, -4)}&to=${addDays(today, -3)}`)).json()).toMatchObject({
      days: [
        { date: addDays(today, -4), score: null, band: null },
        { date: addDays(today, -3), score: expect.any(Number) },
      ],
    });
    expect((await call('GET', '/v1/accounts/A/score/changes?from=2000-01-01&to=2000-01-02')).json()).toMatchObject({ change: 0, byFeature: [], byUser: [] });
  });

  it.each([
    [{}, 'weights', undefined],
    [{ weights: { ...weights, engagement: 101 } }, 'weights.engagement', 'must be a whole number from 0 to 100'],
    [{ weights: { ...weights, nps: 1.5 } }, 'weights.nps', 'must be a whole number from 0 to 100'],
    [{ weights: { ...weights, trend: -1 } }, 'weights.trend', 'must be a whole number from 0 to 100'],
    [{ weights: { ...weights, breadth: '10' } }, 'weights.breadth', 'must be a whole number from 0 to 100'],
    [{ weights: { engagement: 0, utilisation: 0, nps: 0, trend: 0, champions: 0, breadth: 0 } }, 'weights', 'at least one weight must be above 0'],
    [{ weights: { engagement: 10 } }, 'weights.utilisation', undefined],
    [{ weights: { ...weights, loyalty: 5 } }, 'weights', undefined],
    [{ weights, bands: { yellow: 80, green: 70 } }, 'bands.yellow', 'must not be above green'],
    [{ weights, bands: { yellow: 40, green: 101 } }, 'bands.green', 'must be a whole number from 0 to 100'],
    [{ weights, activate: 'yes' }, 'activate', undefined],
    [{ weights, extra: true }, '', undefined],
  ])('POST /v1/health-models %j → 400 naming %s', async (body, path, message) => {
    const response = await call('POST', '/v1/health-models', body);
    expect(response.statusCode, response.body).toBe(400);
    const answer = response.json();
    expect(answer.error).toBe('invalid_request');
    if (path !== '') expect(answer.path).toBe(path);
    if (message !== undefined) expect(answer.message).toBe(`${path}: ${message}`);
    // Nothing stored: version 1 is still the only one.
    expect((await call('GET', '/v1/health-models')).json().models.map((m: { version: number }) => m.version)).toEqual([1]);
  });

  it('refuses a NUL in a health model body and a write key', async () => {
    const withNul = await call('POST', '/v1/health-models', { weights: { ...weights, 'a\u0000': 1 } });
    expect(withNul.statusCode).toBe(400);
    const writeKey = await t.app.inject({ method: 'GET', url: '/v1/accounts/A/health', headers: { authorization: `Bearer ${t.project.writeKey}` } });
    expect(writeKey.statusCode).toBe(401);
  });
});
