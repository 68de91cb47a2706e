import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHash } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

/** Texts Postgres cannot store or no key can hold: NUL, lone surrogates, control characters, huge ones. */
const unstorable = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'a\udc00b', '\u0001\u001f\u007f', '\u0085\u2028', '💥', ' ', '\t', 'x'.repeat(20_000), '%00', '=='),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u0007', 'a', '_', '\u00ff'), minLength: 1, maxLength: 12 }),
);

/** A real key with something unstorable put into it (the 52 fuzz 500s of issue 12 were such keys). */
const spoiled = (key: string) =>
  fc.tuple(fc.nat({ max: key.length }), unstorable).map(([at, inserted]) => `${key.slice(0, at)}${inserted}${key.slice(at)}`);

type Position =
  | 'ingestion-basic'
  | 'ingestion-basic-raw'
  | 'ingestion-bearer'
  | 'ingestion-body'
  | 'ingestion-body-text'
  | 'ingestion-origin'
  | 'widget-bearer'
  | 'widget-query-key'
  | 'widget-user-id'
  | 'widget-user-hash'
  | 'widget-account-id'
  | 'widget-origin'
  | 'query-bearer'
  | 'query-origin'
  | 'project-bearer'
  | 'settings-bearer';

const POSITIONS: Position[] = [
  'ingestion-basic',
  'ingestion-basic-raw',
  'ingestion-bearer',
  'ingestion-body',
  'ingestion-body-text',
  'ingestion-origin',
  'widget-bearer',
  'widget-query-key',
  'widget-user-id',
  'widget-user-hash',
  'widget-account-id',
  'widget-origin',
  'query-bearer',
  'query-origin',
  'project-bearer',
  'settings-bearer',
];

describe.each(testDatabaseKinds)('NUL and other unstorable characters in every key and header position on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const request = (position: Position, value: string) => {
    const { writeKey, secretKey, identitySecret } = t.project;
    const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const goodUser = { userId: 'u1', userHash: userHash(identitySecret, 'u1') };
    const batch = { batch: [{ type: 'track', userId: 'u1', event: 'Report Created' }] };
    switch (position) {
      case 'ingestion-basic':
        return t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(value) }, payload: batch });
      case 'ingestion-basic-raw':
        return t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Basic ${value}` }, payload: batch });
      case 'ingestion-bearer':
        return t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: `Bearer ${value}` }, payload: batch.batch[0] });
      case 'ingestion-body':
        return t.app.inject({ method: 'POST', url: '/v1/batch', payload: { ...batch, writeKey: value } });
      case 'ingestion-body-text':
        return t.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ ...batch, writeKey: value }) });
      case 'ingestion-origin':
        return t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey), origin: value }, payload: batch });
      case 'widget-bearer':
        return t.app.inject({ method: 'GET', url: `/v1/widgets/nps?${query(goodUser)}`, headers: { authorization: `Bearer ${value}` } });
      case 'widget-query-key':
        return t.app.inject({ method: 'GET', url: `/v1/widgets/progress?${query({ ...goodUser, writeKey: value })}` });
      case 'widget-user-id':
        // A valid hash of the hostile id: the id itself reaches the queries.
        return t.app.inject({ method: 'GET', url: `/v1/widgets/progress?${query({ userId: value, userHash: userHash(identitySecret, value), writeKey })}` });
      case 'widget-user-hash':
        return t.app.inject({ method: 'GET', url: `/v1/widgets/nps?${query({ userId: 'u1', userHash: value, writeKey })}` });
      case 'widget-account-id':
        return t.app.inject({ method: 'GET', url: `/v1/widgets/progress?${query({ ...goodUser, accountId: value, writeKey })}` });
      case 'widget-origin':
        return t.app.inject({ method: 'GET', url: `/v1/widgets/nps?${query({ ...goodUser, writeKey })}`, headers: { origin: value } });
      case 'query-bearer':
        return t.app.inject({ method: 'GET', url: '/v1/scores/users', headers: { authorization: `Bearer ${value}` } });
      case 'query-origin':
        return t.app.inject({ method: 'GET', url: '/v1/metrics/active', headers: { authorization: `Bearer ${secretKey}`, origin: value } });
      case 'project-bearer':
        return t.app.inject({ method: 'GET', url: '/v1/project', headers: { authorization: `Bearer ${value}` } });
      case 'settings-bearer':
        return t.app.inject({ method: 'GET', url: '/v1/widgets/settings', headers: { authorization: `Bearer ${value}` } });
    }
  };

  it('answers 3,000 seeded hostile requests with a 4xx naming the field, never a 5xx', async () => {
    const keyFor = (position: Position) =>
      position.startsWith('query') || position.startsWith('project') || position.startsWith('settings') ? t.project.secretKey : t.project.writeKey;
    const cases = fc
      .constantFrom(...POSITIONS)
      .chain((position) => fc.tuple(fc.constant(position), fc.oneof(unstorable, spoiled(keyFor(position)))));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(cases, async ([position, value]) => {
        const response = await request(position, value);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const shown = JSON.stringify(value.slice(0, 80));
        expect(response.statusCode, `${position} ${shown}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
        // Origins and ids can be harmless text (a 200); keys with anything put in them never are,
        // but spaces or tabs before or after a Bearer token are HTTP's optional whitespace.
        const padded = position.endsWith('bearer') && value.replace(/^[ \t]+|[ \t]+$/g, '') === keyFor(position);
        const keyPosition = !/origin|user-id|account-id/.test(position) && !padded;
        if (keyPosition) {
          expect(response.statusCode, `${position} ${shown}`).toBeGreaterThanOrEqual(400);
          const answer = response.json();
          expect(typeof answer.error).toBe('string');
          expect(answer.message.length).toBeGreaterThan(5);
        }
        if (response.statusCode === 400) expect(response.json().message, `${position} ${shown}`).toMatch(/writeKey|secretKey|userId|userHash|accountId|origin|body|JSON|Authorization/);
      }),
      { numRuns: 3000, seed: 1205 },
    );
    expect(statuses.get(401) ?? 0).toBeGreaterThan(1000);
  }, 300_000);
});
