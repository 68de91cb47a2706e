import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { hostileJson } from '../support/hostile-json.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\ud800', 'a\udc00b', '$nps_response', '', ' ', '💥', 'x'.repeat(300), '2026-11-23T10:00:00Z', 'null'),
);
const hostileValue = hostileJson(hostileString, [hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null)]);

/** Times at the edges of what Postgres stores; as sentAt, far from the timestamp (the clock-skew correction). */
const edgeTime = fc.constantFrom('0000-06-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '0001-01-01T00:00:00Z', '0500-01-01T00:00:00Z', '9999-12-31T23:59:59-14:00', '0000-12-31');
const isoTime = fc.date({ noInvalidDate: true }).map((date) => date.toISOString());

/** Events that are nearly right: valid skeletons with fields swapped for hostile values. */
const nearlyValidEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom('track', 'page', 'identify', 'group', 'screen', 'TRACK'), hostileValue),
    event: fc.oneof(fc.constantFrom('Report Created', '$nps_response', '$session_end'), hostileValue),
    userId: fc.oneof(fc.constantFrom('u1', 'u2'), hostileValue),
    anonymousId: hostileValue,
    groupId: hostileValue,
    messageId: fc.oneof(fc.uuid(), hostileValue),
    timestamp: fc.oneof(isoTime, edgeTime, hostileValue),
    properties: fc.oneof(fc.dictionary(hostileString, hostileValue, { maxKeys: 5 }), hostileValue),
    traits: fc.oneof(fc.record({ seats: hostileValue, onboardedAt: fc.oneof(edgeTime, hostileValue), isChampion: hostileValue }), hostileValue),
    context: fc.oneof(fc.record({ groupId: hostileValue, seq: hostileValue }), hostileValue),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  { weight: 6, arbitrary: fc.record({ sentAt: fc.oneof(isoTime, edgeTime, hostileValue), batch: fc.array(nearlyValidEvent, { maxLength: 8 }) }, { requiredKeys: ['batch'] }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: hostileValue.map((value) => JSON.stringify(value) ?? '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((depth) => `{"batch":[{"type":"track","userId":"u","event":"e","properties":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}]}`) },
);

describe.each(testDatabaseKinds)('ingestion fuzz on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('answers thousands of generated bodies with 200 or a clear 4xx, never a 5xx', async () => {
    const counts = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain'), async (payload, contentType) => {
        const response = await t.app.inject({
          method: 'POST',
          url: '/v1/batch',
          headers: { 'content-type': contentType, authorization: basicAuth(t.project.writeKey) },
          payload,
        });
        counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, `${response.body} for ${payload.slice(0, 300)}`).toBeLessThan(500);
        const answer = response.json();
        if (response.statusCode === 200) {
          for (const rejected of answer.rejected) {
            expect(rejected.errors.length).toBeGreaterThan(0);
            for (const error of rejected.errors) expect(typeof error.path).toBe('string');
          }
        } else {
          expect(typeof answer.error).toBe('string');
          expect(answer.message.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: kind === 'pglite' ? 2500 : 2000 },
    );
    // The generator must reach the store, not only the validators.
    expect(counts.get(200) ?? 0).toBeGreaterThan(500);
    expect(counts.get(400) ?? 0).toBeGreaterThan(100);
  });
});
