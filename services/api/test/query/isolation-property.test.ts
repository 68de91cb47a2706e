/**
 * Property: a project's answers do not depend on any other project's data. Random events for two
 * projects share every id — users, anonymousIds, accounts and messageIds — and arrive in
 * interleaved batches at one service; each project then answers every query route exactly as a
 * service holding that project's events alone does (a fresh embedded database per case).
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { citusTestUrl } from '../support/citus-database.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import type { OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const AS_OF = '2026-10-10';
const USERS = ['u1', 'u2', 'u3', 'u4'];
const ANONYMOUS = ['an1', 'an2'];
const ACCOUNTS = ['acc1', 'acc2', 'acc3'];

const who = fc.oneof(
  fc.record({ userId: fc.constantFrom(...USERS) }),
  fc.record({ anonymousId: fc.constantFrom(...ANONYMOUS) }),
  fc.record({ userId: fc.constantFrom(...USERS), anonymousId: fc.constantFrom(...ANONYMOUS) }),
);
const timestamp = fc.record({ day: fc.integer({ min: 1, max: 10 }), hour: fc.integer({ min: 0, max: 23 }) }).map(({ day, hour }) => `2026-10-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`);
const eventBody = fc.oneof(
  fc.record({ type: fc.constant('track'), event: fc.constantFrom('Report Created', 'Export CSV', 'Invite Sent'), context: fc.option(fc.record({ groupId: fc.constantFrom(...ACCOUNTS) }), { nil: undefined }) }),
  fc.record({ type: fc.constant('track'), event: fc.constant('$nps_response'), properties: fc.record({ score: fc.integer({ min: 0, max: 10 }) }) }),
  fc.record({ type: fc.constant('page'), name: fc.constant('Home') }),
  fc.record({ type: fc.constant('identify'), traits: fc.record({ name: fc.constantFrom('Ada', 'Bo'), isChampion: fc.boolean() }) }),
  fc.record({ type: fc.constant('group'), groupId: fc.constantFrom(...ACCOUNTS), traits: fc.record({ name: fc.constantFrom('Acme', 'Globex'), seats: fc.integer({ min: 1, max: 6 }) }) }),
);
/** One event, the project it goes to, and the batch it travels in; messageIds collide across (and within) projects on purpose. */
const sent = fc.record({ project: fc.constantFrom(0, 1), batch: fc.integer({ min: 0, max: 3 }), messageId: fc.integer({ min: 1, max: 40 }), who, timestamp, body: eventBody });
const cases = fc.array(sent, { minLength: 1, maxLength: 60 });

type Sent = { project: number; batch: number; event: OracleEvent };
type Reader = { app: FastifyInstance; keys: ProjectKeys };

/** The same key in both projects with different rules: each project sees only its own definition. */
const CUSTOM_SEGMENTS = [
  { key: 'engaged', name: 'Engaged', of: 'users', rule: { field: 'score', op: 'gte', value: 2 } },
  { key: 'engaged', name: 'Busy accounts', of: 'accounts', rule: { any: [{ field: 'activeUsers30d', op: 'gte', value: 2 }, { field: 'nps', op: 'exists', value: true }] } },
];

const define = async ({ app, keys }: Reader, project: number) => {
  const response = await app.inject({ method: 'POST', url: '/v1/segments', headers: { authorization: `Bearer ${keys.secretKey}` }, payload: CUSTOM_SEGMENTS[project] });
  expect(response.statusCode, response.body).toBe(201);
};

const send = async ({ app, keys }: Reader, events: OracleEvent[]) => {
  const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${keys.writeKey}` }, payload: { batch: events } });
  expect(response.statusCode, response.body).toBe(200);
};

/** Every query route's answer (status and body) for the ids of the shared pool. */
async function everyAnswer({ app, keys }: Reader): Promise<Record<string, unknown>> {
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keys.secretKey}` } });
    // When a definition was saved differs between the two services, and is no project's data.
    const body = JSON.parse(response.body, (key, value) => (key === 'createdAt' || key === 'updatedAt') && value !== null ? 'saved' : value);
    return { status: response.statusCode, body };
  };
  const urls = [
    `/v1/scores/users?asOf=${AS_OF}&limit=100`,
    `/v1/scores/accounts?asOf=${AS_OF}&limit=100`,
    `/v1/metrics/active?from=2026-09-20&to=${AS_OF}`,
    `/v1/nps?asOf=${AS_OF}`,
    `/v1/accounts?asOf=${AS_OF}&limit=100`,
    `/v1/score-models`,
    ...USERS.flatMap((id) => [`/v1/users/${id}/score?asOf=${AS_OF}`, `/v1/users/${id}/segments?asOf=${AS_OF}`]),
    ...ACCOUNTS.flatMap((id) => [
      `/v1/accounts/${id}/score?asOf=${AS_OF}`,
      `/v1/accounts/${id}/utilisation?asOf=${AS_OF}`,
      `/v1/accounts/${id}/segments?asOf=${AS_OF}`,
      `/v1/accounts/${id}/users?asOf=${AS_OF}`,
      `/v1/metrics/active?accountId=${id}&from=2026-09-20&to=${AS_OF}`,
    ]),
  ];
  const answers: Record<string, unknown> = {};
  for (const url of urls) answers[url] = await get(url);
  const list = await get('/v1/segments');
  answers['/v1/segments'] = list;
  for (const { key } of (list.body as { segments: { key: string }[] }).segments) answers[`segment ${key}`] = await get(`/v1/segments/${key}/members?asOf=${AS_OF}&limit=100`);
  return answers;
}

describe.each(testDatabaseKinds)('projects sharing every id on %s', (kind) => {
  let shared: TestApp;
  beforeAll(async () => {
    shared = await createTestApp(kind);
  });
  afterAll(async () => shared?.close());

  it('answer every route as if each were alone', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (drawn) => {
        const events: Sent[] = drawn.map(({ project, batch, messageId, who, timestamp, body }) => ({
          project,
          batch,
          event: { ...body, ...who, messageId: `m${messageId}`, timestamp } as OracleEvent,
        }));
        const pair = [await shared.createProject('first'), await shared.createProject('second')];
        for (const project of [0, 1]) await define({ app: shared.app, keys: pair[project]! }, project);
        // Batches go out in turn (first project's batch 0, second's batch 0, first's batch 1 …).
        for (let batch = 0; batch <= 3; batch++) {
          for (const project of [0, 1]) {
            const batchEvents = events.filter((entry) => entry.project === project && entry.batch === batch).map((entry) => entry.event);
            if (batchEvents.length > 0) await send({ app: shared.app, keys: pair[project]! }, batchEvents);
          }
        }
        for (const project of [0, 1]) {
          // A copy of the run's PGlite template, not an in-memory PGlite: initdb would cost 2–5 s a service.
          const alone = await createTestApp('pglite');
          try {
            const reader = { app: alone.app, keys: alone.project };
            await define(reader, project);
            for (let batch = 0; batch <= 3; batch++) {
              const batchEvents = events.filter((entry) => entry.project === project && entry.batch === batch).map((entry) => entry.event);
              if (batchEvents.length > 0) await send(reader, batchEvents);
            }
            expect(await everyAnswer({ app: shared.app, keys: pair[project]! })).toEqual(await everyAnswer(reader));
          } finally {
            await alone.close();
          }
        }
      }),
      // On Citus every statement pays a round trip to a worker: two runs keep it within the time.
      { numRuns: citusTestUrl ? 2 : 4, seed: 20261123, endOnFailure: true },
    );
    // Four runs of two services each: 25 s for the PGlite half with a Postgres load beside (39 s when the lone services ran initdb).
  }, 180_000);
});
