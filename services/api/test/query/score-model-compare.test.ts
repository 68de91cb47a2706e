import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUptakeClient, UptakeApiError } from '@uptake/client';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, oracleRanking, type OracleScoreModel } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// GET /v1/score-models/compare against the test oracle's rankings under each model, with the rank
// correlation and the movers computed here (ranks by counting, not by sorting), for users and
// accounts, several days and model pairs, on both databases.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 33, asOf: yesterday, days: 60, accounts: 10 });
const models: OracleScoreModel[] = [
  { version: 1 },
  { version: 2, features: { 'Report Created': { weight: 5, label: 'Reports' }, 'Invite Sent': { weight: 1, label: 'Invites' } }, windowDays: 30, dailyCap: 3 },
  { version: 3, features: { 'Export CSV': { weight: 2, label: 'Exports' }, 'Alert Configured': { weight: 0.25, label: 'Alerts' } }, windowDays: 7, dailyCap: 20 },
];
const asOfDays = [yesterday, addDays(yesterday, -20)];

type Mover = { id: string; a: { rank: number; score: number }; b: { rank: number; score: number }; change: number };

/** The comparison docs/api.md defines, from the two rankings. */
function expectedComparison(of: 'users' | 'accounts', a: OracleScoreModel, b: OracleScoreModel, asOf: string, limit: number) {
  const scoresA = new Map(oracleRanking(data.events, of, { asOf, model: a }).map((entry) => [entry.id, entry.score]));
  const scoresB = new Map(oracleRanking(data.events, of, { asOf, model: b }).map((entry) => [entry.id, entry.score]));
  const ids = [...scoresA.keys()];
  // Average rank: 1 + (number scoring more) + (number of others tied) / 2.
  const rankIn = (scores: Map<string, number>, id: string) => {
    const own = scores.get(id)!;
    let higher = 0;
    let tied = 0;
    for (const [other, score] of scores) {
      if (score > own) higher += 1;
      else if (score === own && other !== id) tied += 1;
    }
    return 1 + higher + tied / 2;
  };
  const movers: Mover[] = ids.map((id) => {
    const [rankA, rankB] = [rankIn(scoresA, id), rankIn(scoresB, id)];
    return { id, a: { rank: rankA, score: scoresA.get(id)! }, b: { rank: rankB, score: scoresB.get(id)! }, change: rankA - rankB };
  });
  const n = ids.length;
  const mean = (n + 1) / 2; // the mean of average ranks is always (n + 1) / 2
  const sum = (f: (mover: Mover) => number) => movers.reduce((total, mover) => total + f(mover), 0);
  const cov = sum((m) => (m.a.rank - mean) * (m.b.rank - mean));
  const [varA, varB] = [sum((m) => (m.a.rank - mean) ** 2), sum((m) => (m.b.rank - mean) ** 2)];
  const spearman = n < 2 || varA === 0 || varB === 0 ? null : cov / Math.sqrt(varA * varB);
  const byMove = (x: Mover, y: Mover) => Math.abs(y.change) - Math.abs(x.change) || (x.id < y.id ? -1 : 1);
  const up = movers.filter((m) => m.change > 0).sort(byMove);
  const down = movers.filter((m) => m.change < 0).sort(byMove);
  return { of, asOf, a: { version: a.version }, b: { version: b.version }, count: n, spearman, movedUp: up.length, movedDown: down.length, unchanged: n - up.length - down.length, up: up.slice(0, limit), down: down.slice(0, limit) };
}

const onWire = (expected: ReturnType<typeof expectedComparison>) => {
  const mover = (m: Mover) => ({ ...m, a: { ...m.a, score: expect.closeTo(m.a.score, 9) }, b: { ...m.b, score: expect.closeTo(m.b.score, 9) } });
  return { ...expected, spearman: expected.spearman === null ? null : expect.closeTo(expected.spearman, 9), up: expected.up.map(mover), down: expected.down.map(mover) };
};

describe.each(testDatabaseKinds)('score-model comparison on %s', (kind) => {
  let t: TestApp;
  const call = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const get = async (url: string) => {
    const response = await call(url);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, data.events);
    for (const model of models.slice(1)) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/score-models',
        headers: { authorization: `Bearer ${t.project.secretKey}` },
        payload: { features: model.features, windowDays: model.windowDays, dailyCap: model.dailyCap, activate: false },
      });
      expect(created.statusCode, created.body).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  it('answers the rank correlation and the movers the rankings give, for users and accounts, days and model pairs', async () => {
    const pairs: Array<[OracleScoreModel, OracleScoreModel]> = [
      [models[0]!, models[1]!],
      [models[1]!, models[2]!],
      [models[2]!, models[0]!],
      [models[1]!, models[1]!],
    ];
    for (const asOf of asOfDays) {
      for (const [a, b] of pairs) {
        for (const of of ['users', 'accounts'] as const) {
          const answer = await get(`/v1/score-models/compare?a=${a.version}&b=${b.version}&asOf=${asOf}&of=${of}&limit=5`);
          expect(answer, `${of} ${a.version}→${b.version} ${asOf}`).toEqual(onWire(expectedComparison(of, a, b, asOf, 5)));
        }
      }
    }
    // The data makes the comparison meaningful: models disagree, but not completely.
    const { spearman, movedUp, up } = expectedComparison('users', models[0]!, models[2]!, yesterday, 10);
    expect(spearman).not.toBeNull();
    expect(spearman!).toBeGreaterThan(-1);
    expect(spearman!).toBeLessThan(1);
    expect(movedUp).toBeGreaterThan(5);
    expect(up.some((mover) => !Number.isInteger(mover.a.rank) || !Number.isInteger(mover.b.rank))).toBe(true); // ties averaged
    expect(expectedComparison('users', models[1]!, models[1]!, yesterday, 10)).toMatchObject({ spearman: 1, movedUp: 0, movedDown: 0 });
  });

  it('defaults: users, as of today, 10 movers each way', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const answer = await get('/v1/score-models/compare?a=1&b=2');
    expect(answer).toEqual(onWire(expectedComparison('users', models[0]!, models[1]!, today, 10)));
  });

  it('the typed client answers what the routes answer (compare, groups, retention), and throws the 400s', async () => {
    const host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const client = createUptakeClient({ host, secretKey: t.project.secretKey });
    const account = data.accounts[0]!.accountId;
    expect(await client.compareScoreModels({ a: 1, b: 3, of: 'accounts', asOf: yesterday, limit: 3 })).toEqual(await get(`/v1/score-models/compare?a=1&b=3&of=accounts&asOf=${yesterday}&limit=3`));
    expect(await client.accountGroups(account, { trait: 'role', asOf: yesterday, model: 2 })).toEqual(await get(`/v1/accounts/${account}/groups?trait=role&asOf=${yesterday}&model=2`));
    expect(await client.groups({ asOf: yesterday })).toEqual(await get(`/v1/groups?asOf=${yesterday}`));
    const retention = await client.retention({ by: 'month', to: yesterday, accountId: account });
    expect(retention).toEqual(await get(`/v1/retention?by=month&to=${yesterday}&accountId=${account}`));
    expect(retention.cohorts.length).toBeGreaterThan(0);
    const refused = await client.compareScoreModels({ a: 1, b: 9 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UptakeApiError);
    expect(refused).toMatchObject({ status: 400, path: 'b' });
  });

  it('refuses hostile parameters with a 400 naming them', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/score-models/compare?b=2', 'a'],
      ['/v1/score-models/compare?a=1', 'b'],
      ['/v1/score-models/compare?a=0&b=2', 'a'],
      ['/v1/score-models/compare?a=1&b=-2', 'b'],
      ['/v1/score-models/compare?a=1.5&b=2', 'a'],
      ['/v1/score-models/compare?a=x&b=2', 'a'],
      ['/v1/score-models/compare?a=1&b=1e400', 'b'],
      ['/v1/score-models/compare?a=99&b=2', 'a'],
      ['/v1/score-models/compare?a=1&b=4', 'b'],
      ['/v1/score-models/compare?a=1&b=2&of=teams', 'of'],
      ['/v1/score-models/compare?a=1&b=2&limit=0', 'limit'],
      ['/v1/score-models/compare?a=1&b=2&limit=101', 'limit'],
      ['/v1/score-models/compare?a=1&b=2&asOf=2026-02-29', 'asOf'],
      ['/v1/score-models/compare?a=1&b=2&asOf=1999-12-31', 'asOf'],
    ];
    for (const [url, path] of cases) {
      const response = await call(url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json(), url).toMatchObject({ error: expect.any(String), path, message: expect.stringContaining(path) });
    }
    expect((await call('/v1/score-models/compare?a=1&b=2', t.project.writeKey)).statusCode).toBe(401);
  });
});
