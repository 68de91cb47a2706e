import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { userHash } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.each(testDatabaseKinds)('rate limits, failed-auth throttling and the key cache on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('limits query API requests per project: 429, Retry-After and a message naming the limit', async () => {
    t = await createTestApp(kind, { queryRateLimitPerSecond: 1, queryRateLimitBurst: 3 });
    const get = (key: string) => t!.app.inject({ method: 'GET', url: '/v1/project', headers: bearer(key) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(t.project.secretKey)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.app.inject({ method: 'GET', url: '/v1/scores/users', headers: bearer(t.project.secretKey) });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toEqual({ error: 'rate_limited', message: expect.stringContaining("query API requests for this project's secret key (limit 1/s, burst 3)") });
    // Another project has its own budget.
    const other = await t.createProject('Other');
    expect((await get(other.secretKey)).statusCode).toBe(200);
  });

  it('limits widget reads per write key', async () => {
    t = await createTestApp(kind, { widgetRateLimitPerSecond: 1, widgetRateLimitBurst: 2 });
    const { writeKey, identitySecret } = t.project;
    const url = `/v1/widgets/progress?userId=u1&userHash=${userHash(identitySecret, 'u1')}&writeKey=${writeKey}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ method: 'GET', url })).statusCode);
    expect(statuses.slice(2)).toEqual([429]);
    const limited = await t.app.inject({ method: 'GET', url, headers: bearer(writeKey) });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json().message).toContain("widget requests for this project's write key (limit 1/s, burst 2)");
    // Ingestion has its own budget (off here).
    expect((await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch: [] } })).statusCode).toBe(200);
  });

  it('throttles an address after repeated 401s, while known keys from it and other addresses pass', async () => {
    t = await createTestApp(kind, { authFailuresPerSecond: 0.01, authFailureBurst: 5 });
    const post = (writeKey: string, remoteAddress: string) =>
      t!.app.inject({ method: 'POST', url: '/v1/batch', remoteAddress, headers: { authorization: basicAuth(writeKey) }, payload: { batch: [] } });
    expect((await post(t.project.writeKey, '203.0.113.7')).statusCode).toBe(200);
    const wrong = [];
    for (let i = 0; i < 6; i++) wrong.push((await post(`wk_guess${i}aaaaaaaaaaaaaaa`, '203.0.113.7')).statusCode);
    expect(wrong).toEqual([401, 401, 401, 401, 401, 429]);
    const throttled = await t.app.inject({ method: 'GET', url: '/v1/scores/users', remoteAddress: '203.0.113.7', headers: bearer('sk_guessaaaaaaaaaaaaaaaaaaaaa') });
    expect(throttled.statusCode).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.json().message).toContain('failed authentications from this address (limit 1 every 100 s, burst 5)');
    // The key it already knows keeps working from there; another address is not affected.
    expect((await post(t.project.writeKey, '203.0.113.7')).statusCode).toBe(200);
    expect((await post('wk_guessfromelsewhereaaaaaa', '198.51.100.1')).statusCode).toBe(401);
    // Wrong userHashes count too.
    for (let i = 0; i < 5; i++) {
      const url = `/v1/widgets/nps?userId=u1&userHash=${'0'.repeat(64)}&writeKey=${t.project.writeKey}`;
      expect((await t.app.inject({ method: 'GET', url, remoteAddress: '198.51.100.9' })).statusCode).toBe(401);
    }
    expect((await post('wk_anotherguessaaaaaaaaaaaa', '198.51.100.9')).statusCode).toBe(429);
  });

  it('never lets a flood of unknown keys evict a known one, and answers a repeated unknown key from the cache', async () => {
    t = await createTestApp(kind, { keyCacheTtlMs: 600_000 });
    const db = t.app.store.db;
    const post = (writeKey: string) => t!.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch: [] } });
    expect((await post(t.project.writeKey)).statusCode).toBe(200);
    // From now on only the cache knows this key: a lookup in the database would miss it.
    await sql`update projects set write_key = 'wk_movedaway' where project_id = ${t.project.projectId}`.execute(db);
    for (let chunk = 0; chunk < 10_050; chunk += 50) {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => post(`wk_random${chunk + i}`)));
      expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 401));
    }
    expect((await post(t.project.writeKey)).statusCode).toBe(200);

    // An unknown key, remembered as unknown, is not looked up again (within its 5 s).
    expect((await post('wk_notyetcreated')).statusCode).toBe(401);
    await sql`update projects set write_key = 'wk_notyetcreated' where project_id = ${t.project.projectId}`.execute(db);
    expect((await post('wk_notyetcreated')).statusCode).toBe(401);
  }, 120_000);
});
