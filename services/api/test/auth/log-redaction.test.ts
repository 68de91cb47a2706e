import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { redactUrl } from '../../src/http/redact.ts';
import { hashSecretKey, userHash } from '../../src/projects/keys.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

describe('redactUrl', () => {
  it('blanks credential parameters and our keys and hashes anywhere in a URL', () => {
    const hash = 'ab'.repeat(32);
    expect(redactUrl(`/v1/widgets/nps?userId=u1&userHash=${hash}&writeKey=wk_abcdefghijklmnop`)).toBe('/v1/widgets/nps?userId=u1&userHash=[redacted]&writeKey=[redacted]');
    expect(redactUrl('/x?access_token=t0k3n&api%5Fkey=1&page=2')).toBe('/x?access_token=[redacted]&api%5Fkey=[redacted]&page=2');
    expect(redactUrl(`/v1/users/sk_abcdefghijklmnopqrst/score?note=${hash}`)).toBe('/v1/users/sk_[redacted]/score?note=[redacted]');
  });
});

describe.each(testDatabaseKinds)('logs hold no key, hash or token on %s', (kind) => {
  const lines: string[] = [];
  let app: FastifyInstance;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    // A real pino writing every level to a stream, as in production.
    app = await buildApp(testConfig(database.config, { queryRateLimitPerSecond: 1, queryRateLimitBurst: 6 }), { logger: pino({ level: 'trace' }, stream) });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('redacts them from request lines, headers and errors over ingestion, widget and query calls, failing ones included', async () => {
    const project = await createProject(app.store.db, { name: 'Logged' });
    const { writeKey, secretKey, identitySecret } = project;
    const hash = userHash(identitySecret, 'u1');
    const wrongHash = userHash('is_not-the-secret', 'u1');
    const batch = { batch: [{ type: 'identify', userId: 'u1', traits: { plan: 'pro' }, context: { userHash: hash } }] };
    const calls = [
      { method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: batch },
      { method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${writeKey}`, cookie: `session=${secretKey}` }, payload: batch },
      { method: 'POST', url: '/v1/batch', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ ...batch, writeKey }) },
      { method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey), 'content-encoding': 'gzip', 'content-type': 'application/json' }, payload: gzipSync('{"batch": [') },
      { method: 'POST', url: `/v1/batch?writeKey=${writeKey}`, payload: { writeKey: `${writeKey}x`, batch: [] } },
      { method: 'POST', url: '/v1/track', headers: { authorization: basicAuth(`${writeKey}\u0000`) }, payload: {} },
      { method: 'GET', url: `/v1/widgets/progress?userId=u1&userHash=${hash}&writeKey=${writeKey}` },
      { method: 'GET', url: `/v1/widgets/nps?userId=u1&userHash=${wrongHash}&writeKey=${writeKey}` },
      { method: 'GET', url: `/v1/widgets/nps?userId=u1&userHash=${hash}&writeKey=${secretKey}` },
      { method: 'GET', url: `/v1/widgets/nps?userId=u1&userHash=${hash}`, headers: { authorization: `Bearer ${writeKey}`, origin: `https://${writeKey}.example` } },
      { method: 'GET', url: '/v1/scores/users', headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'GET', url: `/v1/users/${writeKey}/score?asOf=2026-11-30`, headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'GET', url: '/v1/metrics/active', headers: { authorization: `Bearer ${writeKey}` } },
      { method: 'GET', url: `/v1/project?token=${secretKey}`, headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'POST', url: '/v1/project/keys/rotate', headers: { authorization: `Bearer ${secretKey}` }, payload: { kind: 'identity' } },
      { method: 'GET', url: '/v1/project', headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'GET', url: '/v1/project', headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'GET', url: '/v1/project', headers: { authorization: `Bearer ${secretKey}` } },
      { method: 'GET', url: `/v1/nowhere/${secretKey}?userHash=${hash}` },
    ] as const;
    const statuses = [];
    const answers = [];
    for (const call of calls) {
      const answer = await app.inject(call as InjectOptions);
      statuses.push(answer.statusCode);
      answers.push(answer.body);
    }
    const rotated = JSON.parse(answers[calls.findIndex((call) => call.url === '/v1/project/keys/rotate')]!).key as string;
    expect(rotated).toMatch(/^is_/);
    // What a failing driver call logs: its message and detail quote the values it was given.
    const driverError = Object.assign(new Error(`duplicate key value violates unique constraint (write_key)=(${writeKey})`), {
      detail: `Key (secret_key_hash)=(${hashSecretKey(secretKey)}) already exists.`,
      code: '23505',
    });
    app.log.error({ err: driverError, headers: { authorization: `Bearer ${secretKey}`, cookie: `s=${identitySecret}` } }, 'unhandled error');
    // Successes, 400s, 401s, 403/404s and a 429 were all logged.
    expect(statuses).toEqual(expect.arrayContaining([200, 400, 401, 404, 429]));
    const log = lines.join("");
    expect(lines.length).toBeGreaterThanOrEqual(calls.length);
    expect(log).toContain('"url":"/v1/widgets/progress?userId=u1&userHash=[redacted]&writeKey=[redacted]"');
    expect(log).toContain('already exists');
    expect(log).toContain('"authorization":"[redacted]"');
    for (const secret of [writeKey, secretKey, identitySecret, rotated, hash, wrongHash, hashSecretKey(secretKey), Buffer.from(`${writeKey}:`).toString('base64')]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/\b(wk|sk|is)_[A-Za-z0-9_-]{12,}/);
    expect(log).not.toMatch(/\b[0-9a-f]{64}\b/);
  });
});
