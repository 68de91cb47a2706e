import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect } from 'kysely';
import { LIMITS } from '@uptake/protocol';
import type { Database } from '../../src/db/database.ts';
import { prepareBatch } from '../../src/ingestion/prepare-batch.ts';
import { storeBatches } from '../../src/ingestion/store-batch.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

let sequence = 0;
const id = (prefix = 'm') => `${prefix}-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;
const track = (extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'Report Created', userId: 'u1', messageId: id(), ...extra });

describe.each(testDatabaseKinds)('ingestion on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const send = (batch: unknown[], options: { auth?: string; extra?: Record<string, unknown> } = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: options.auth ?? basicAuth(t.project.writeKey), 'content-type': 'application/json' },
      payload: { sentAt: new Date().toISOString(), batch, ...options.extra },
    });
  const storedEvents = (projectId = t.project.projectId) =>
    t.app.store.db.selectFrom('events').selectAll().where('project_id', '=', projectId).orderBy('message_id').execute();
  const storedEvent = (messageId: string) =>
    t.app.store.db.selectFrom('events').selectAll().where('project_id', '=', t.project.projectId).where('message_id', '=', messageId).executeTakeFirstOrThrow();

  it('stores each event type with its fields', async () => {
    const time = '2026-11-20T08:30:00.000Z';
    const events = [
      { type: 'identify', messageId: id(), userId: 'alice', anonymousId: 'anon-a', timestamp: time, traits: { email: 'a@x.io', role: 'admin', isChampion: true } },
      { type: 'group', messageId: id(), userId: 'alice', groupId: 'acme', timestamp: time, traits: { name: 'Acme', seats: 10, onboardedAt: '2026-10-01', plan: 'pro' } },
      { type: 'track', messageId: id(), userId: 'alice', event: 'Report Created', timestamp: time, properties: { size: 3 }, context: { groupId: 'acme', sessionId: 's1', seq: 4 } },
      { type: 'page', messageId: id(), anonymousId: 'anon-b', name: 'Pricing', timestamp: time, properties: { path: '/pricing', accountId: 'globex' } },
    ];
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basicAuth(t.project.writeKey) },
      payload: { sentAt: time, batch: events },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [] });

    const [identify, group, trackRow, page] = await Promise.all(events.map((event) => storedEvent(event.messageId)));
    expect(identify).toMatchObject({ type: 'identify', user_id: 'alice', anonymous_id: 'anon-a', properties: { email: 'a@x.io', role: 'admin', isChampion: true } });
    expect(group).toMatchObject({ type: 'group', account_id: 'acme', properties: { seats: 10, plan: 'pro' } });
    expect(trackRow).toMatchObject({ type: 'track', event: 'Report Created', account_id: 'acme', properties: { size: 3 }, context: { groupId: 'acme', sessionId: 's1', seq: 4 } });
    expect(page).toMatchObject({ type: 'page', event: 'Pricing', user_id: null, anonymous_id: 'anon-b', account_id: 'globex' });
    // sentAt equals the timestamps, so the corrected time is the receive time: within this test's run.
    expect(trackRow!.timestamp.getTime()).toBe(trackRow!.received_at.getTime());

    const db = t.app.store.db;
    const user = await db.selectFrom('users').selectAll().where('project_id', '=', t.project.projectId).where('user_id', '=', 'alice').executeTakeFirstOrThrow();
    expect(user.traits).toEqual({ email: 'a@x.io', role: 'admin', isChampion: true });
    const account = await db.selectFrom('accounts').selectAll().where('project_id', '=', t.project.projectId).where('account_id', '=', 'acme').executeTakeFirstOrThrow();
    expect(account).toMatchObject({ seats: 10, traits: { name: 'Acme', plan: 'pro', seats: 10, onboardedAt: '2026-10-01' } });
    expect(account.onboarded_at?.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    const membership = await db.selectFrom('memberships').selectAll().where('project_id', '=', t.project.projectId).where('account_id', '=', 'acme').execute();
    expect(membership.map((row) => row.user_id)).toEqual(['alice']);
    const link = await db.selectFrom('identities').selectAll().where('project_id', '=', t.project.projectId).where('anonymous_id', '=', 'anon-a').executeTakeFirstOrThrow();
    expect(link.user_id).toBe('alice');
  });

  it('keeps Segment fields it does not use', async () => {
    const event = track({ integrations: { All: false }, _metadata: { bundled: ['x'] }, channel: 'server', originalTimestamp: '2026-11-20T08:30:00Z' });
    expect((await send([event])).json()).toMatchObject({ accepted: 1 });
    expect((await storedEvent(event.messageId)).extra).toEqual({ integrations: { All: false }, _metadata: { bundled: ['x'] }, channel: 'server', originalTimestamp: '2026-11-20T08:30:00Z' });
  });

  it('merges traits of later identify and group calls, later values winning', async () => {
    await send([{ type: 'identify', messageId: id(), userId: 'bob', traits: { role: 'viewer', email: 'b@x.io' } }]);
    await send([{ type: 'identify', messageId: id(), userId: 'bob', traits: { role: 'editor' } }]);
    await send([{ type: 'group', messageId: id(), userId: 'bob', groupId: 'initech', traits: { seats: '5' } }]);
    await send([{ type: 'group', messageId: id(), userId: 'bob', groupId: 'initech', traits: { plan: 'team' } }]);
    const db = t.app.store.db;
    const user = await db.selectFrom('users').select('traits').where('project_id', '=', t.project.projectId).where('user_id', '=', 'bob').executeTakeFirstOrThrow();
    expect(user.traits).toEqual({ role: 'editor', email: 'b@x.io' });
    const account = await db.selectFrom('accounts').select(['seats', 'traits']).where('project_id', '=', t.project.projectId).where('account_id', '=', 'initech').executeTakeFirstOrThrow();
    expect(account).toEqual({ seats: 5, traits: { seats: 5, plan: 'team' } });
  });

  it('stores a retried batch once and counts the retry as duplicates', async () => {
    const batch = [track(), track(), track()];
    expect((await send(batch)).json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect((await send(batch)).json()).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    const retried = await send([...batch, track()]);
    expect(retried.json()).toEqual({ accepted: 1, duplicates: 3, rejected: [] });
    const ids = new Set(batch.map((event) => event.messageId));
    expect((await storedEvents()).filter((row) => ids.has(row.message_id))).toHaveLength(3);
  });

  it('stores a group mixing a retried batch with new ones once, derived counts included', async () => {
    // A Kysely of its own: the writer starts with a plain INSERT, which a stored messageId fails;
    // the group then goes in again skipping the stored ones (and the next few groups skip from the start).
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: t.app.store.pool }) });
    const { projectId } = t.project;
    const timestamp = '2026-10-05T12:00:00.000Z';
    const event = () => track({ userId: 'mixed-user', event: 'Mixed Event', timestamp });
    const job = (batch: unknown[]) => ({ projectId, batch: prepareBatch({ batch }, new Date()) });
    const first = [event(), event(), event()];
    expect(await storeBatches(db, [job(first)], { changeTracker: t.app.changeTracker, announceChanges: false })).toEqual([{ accepted: 3, duplicates: 0, rejected: [] }]);
    expect(await storeBatches(db, [job([...first, event()]), job([event(), event()])], { changeTracker: t.app.changeTracker, announceChanges: false })).toEqual([
      { accepted: 1, duplicates: 3, rejected: [] },
      { accepted: 2, duplicates: 0, rejected: [] },
    ]);
    expect(await storeBatches(db, [job([event()]), job([first[0]])], { changeTracker: t.app.changeTracker, announceChanges: false })).toEqual([
      { accepted: 1, duplicates: 0, rejected: [] },
      { accepted: 0, duplicates: 1, rejected: [] },
    ]);
    const counted = await db
      .selectFrom('user_day_events')
      .select('count')
      .where('project_id', '=', projectId)
      .where('user_id', '=', 'mixed-user')
      .where('event', '=', 'Mixed Event')
      .executeTakeFirstOrThrow();
    expect(counted.count).toBe(7);
    const stored = await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).where('user_id', '=', 'mixed-user').executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(7);
  });

  it('counts a messageId repeated inside one batch as a duplicate', async () => {
    const event = track();
    expect((await send([event, { ...event }, track()])).json()).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
  });

  it('stores concurrent retries of the same batch exactly once', async () => {
    const batch = Array.from({ length: 50 }, () => track());
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(batch)));
    const totals = answers.map((answer) => answer.json() as { accepted: number; duplicates: number });
    expect(totals.reduce((sum, answer) => sum + answer.accepted, 0)).toBe(50);
    expect(totals.reduce((sum, answer) => sum + answer.duplicates, 0)).toBe(200);
    const ids = new Set(batch.map((event) => event.messageId));
    expect((await storedEvents()).filter((row) => ids.has(row.message_id))).toHaveLength(50);
  });

  it('makes a messageId when there is none, and records the warning', async () => {
    const answer = await send([{ type: 'track', event: 'No Id', userId: 'u-noid' }]);
    expect(answer.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const row = await t.app.store.db.selectFrom('events').selectAll().where('project_id', '=', t.project.projectId).where('event', '=', 'No Id').executeTakeFirstOrThrow();
    expect(row.message_id_generated).toBe(true);
    const warning = await t.app.store.db.selectFrom('ingestion_warnings').selectAll().where('project_id', '=', t.project.projectId).where('message_id', '=', row.message_id).executeTakeFirstOrThrow();
    expect(warning.kind).toBe('message_id_generated');
  });

  it('corrects clock skew and clamps future timestamps', async () => {
    const now = Date.now();
    const fast = 3_600_000; // the device clock runs an hour fast
    const skewed = track({ timestamp: new Date(now + fast - 60_000).toISOString() });
    await send([skewed], { extra: { sentAt: new Date(now + fast).toISOString() } });
    const row = await storedEvent(skewed.messageId);
    expect(row.timestamp.getTime()).toBeGreaterThanOrEqual(now - 60_000);
    expect(row.timestamp.getTime()).toBeLessThan(now - 60_000 + 5_000);
    expect(row.timestamp_clamped).toBe(false);

    const future = track({ timestamp: new Date(now + 48 * 3_600_000).toISOString() });
    await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload: future });
    const futureRow = await storedEvent(future.messageId);
    expect(futureRow.timestamp.getTime()).toBe(futureRow.received_at.getTime());
    expect(futureRow.timestamp_clamped).toBe(true);
    const warning = await t.app.store.db.selectFrom('ingestion_warnings').select('kind').where('project_id', '=', t.project.projectId).where('message_id', '=', future.messageId).executeTakeFirstOrThrow();
    expect(warning.kind).toBe('timestamp_far_future');
  });

  it('reports invalid events by index and path, stores the valid ones, keeps the rejects as warnings', async () => {
    const good = track();
    const bad = { type: 'track', userId: 'u1', messageId: id('bad') };
    const answer = await send([good, bad, { type: 'alias', userId: 'u' }]);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        { index: 1, messageId: bad.messageId, errors: [{ path: 'event', message: 'is required (string)' }] },
        { index: 2, errors: [{ path: 'type', message: 'must be one of identify, group, track, page' }] },
      ],
    });
    const warning = await t.app.store.db.selectFrom('ingestion_warnings').selectAll().where('project_id', '=', t.project.projectId).where('message_id', '=', bad.messageId).executeTakeFirstOrThrow();
    expect(warning).toMatchObject({ kind: 'rejected', event_index: 1, errors: [{ path: 'event', message: 'is required (string)' }] });
    expect(JSON.parse(warning.payload!)).toEqual(bad);
  });

  it('refuses times Postgres cannot store, before and after the clock-skew correction, naming the field', async () => {
    // Postgres has no year 0; JavaScript writes the years outside 1-9999 as -000001 / +010000.
    const yearZero = track({ timestamp: '0000-06-01T00:00:00Z' });
    const offsetIntoYearZero = track({ timestamp: '0001-01-01T00:00:00+14:00' });
    const firstStorable = track({ timestamp: '0001-01-01T00:00:00Z' });
    const badTraits = { type: 'group', userId: 'u1', groupId: 'a1', messageId: id('traits'), traits: { onboardedAt: '0000-12-31' } };
    const answer = await send([yearZero, offsetIntoYearZero, firstStorable, badTraits], { extra: { sentAt: undefined } });
    expect(answer.statusCode).toBe(200);
    const range = 'must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (UTC)';
    expect(answer.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        { index: 0, messageId: yearZero.messageId, errors: [{ path: 'timestamp', message: range }] },
        { index: 1, messageId: offsetIntoYearZero.messageId, errors: [{ path: 'timestamp', message: range }] },
        { index: 3, messageId: badTraits.messageId, errors: [{ path: 'traits.onboardedAt', message: expect.stringContaining('must be') }] },
      ],
    });
    expect((await storedEvent(firstStorable.messageId)).timestamp.toISOString()).toBe('0001-01-01T00:00:00.000Z');

    // A sentAt two thousand years after the timestamp moves the corrected time before the year 1.
    const now = new Date();
    const farSent = new Date(now);
    farSent.setUTCFullYear(now.getUTCFullYear() + 2000);
    const ancient = track({ timestamp: '0500-01-01T00:00:00Z' });
    const recent = track({ timestamp: farSent.toISOString() });
    const skewed = await send([ancient, recent], { extra: { sentAt: farSent.toISOString() } });
    expect(skewed.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 0, messageId: ancient.messageId, errors: [{ path: 'timestamp', message: `corrected for clock skew (receivedAt − (sentAt − timestamp)), ${range}` }] }],
    });
    const warning = await t.app.store.db.selectFrom('ingestion_warnings').select('kind').where('project_id', '=', t.project.projectId).where('message_id', '=', ancient.messageId).executeTakeFirstOrThrow();
    expect(warning.kind).toBe('rejected');

    for (const sentAt of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-01:00']) {
      const envelope = await send([track()], { extra: { sentAt } });
      expect(envelope.statusCode).toBe(400);
      expect(envelope.json()).toMatchObject({ path: 'sentAt', message: expect.stringContaining(range) });
    }
  });

  it('accepts the write key in the body, as Basic or as Bearer; 401 otherwise', async () => {
    const body = (extra = {}) => JSON.stringify({ batch: [track()], ...extra });
    const post = (headers: Record<string, string>, payload: string) =>
      t.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', ...headers }, payload });
    expect((await post({}, body({ writeKey: t.project.writeKey }))).statusCode).toBe(200);
    expect((await post({ authorization: basicAuth(t.project.writeKey) }, body())).statusCode).toBe(200);
    expect((await post({ authorization: `Bearer ${t.project.writeKey}` }, body())).statusCode).toBe(200);

    const none = await post({}, body());
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: 'missing_write_key' });
    const wrong = await post({ authorization: 'Bearer wk_nope' }, body());
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: 'invalid_write_key', message: 'unknown write key' });
    // A secret key is not a write key.
    expect((await post({ authorization: `Bearer ${t.project.secretKey}` }, body())).statusCode).toBe(401);
  });

  it('accepts text/plain bodies (sendBeacon) and gzip', async () => {
    const beacon = track();
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ writeKey: t.project.writeKey, sentAt: new Date().toISOString(), batch: [beacon] }),
    });
    expect(plain.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });

    const zipped = track();
    const gz = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basicAuth(t.project.writeKey) },
      payload: gzipSync(JSON.stringify({ batch: [zipped] })),
    });
    expect(gz.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    await storedEvent(beacon.messageId);
    await storedEvent(zipped.messageId);

    const corrupt = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basicAuth(t.project.writeKey) },
      payload: 'this is not gzip',
    });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json().message).toMatch(/not valid gzip/);
    const brotli = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br', authorization: basicAuth(t.project.writeKey) },
      payload: 'x',
    });
    expect(brotli.statusCode).toBe(415);
  });

  it('takes single events on the Segment aliases', async () => {
    const auth = { authorization: basicAuth(t.project.writeKey) };
    const identify = { messageId: id(), userId: 'carol', traits: { name: 'Carol' } };
    const answer = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: auth, payload: identify });
    expect(answer.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await storedEvent(identify.messageId)).type).toBe('identify');

    const invalid = await t.app.inject({ method: 'POST', url: '/v1/group', headers: auth, payload: { userId: 'carol', messageId: id() } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ error: 'invalid_event', message: 'groupId: is required (string)', path: 'groupId' });

    const mismatch = await t.app.inject({ method: 'POST', url: '/v1/page', headers: auth, payload: { type: 'track', userId: 'carol' } });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().path).toBe('type');
  });

  it('enforces the limits: 500 events, 500 KB, 32 KB per event, 200-character ids', async () => {
    const tooMany = await send(Array.from({ length: LIMITS.maxEventsPerBatch + 1 }, () => track()));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ path: 'batch', message: 'batch: must hold at most 500 events' });

    const full = await send(Array.from({ length: LIMITS.maxEventsPerBatch }, () => track()));
    expect(full.json()).toMatchObject({ accepted: 500 });

    const huge = await send(Array.from({ length: 20 }, () => track({ properties: { blob: 'x'.repeat(30_000) } })));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toBe('payload_too_large');

    const answer = await send([track({ properties: { blob: 'x'.repeat(LIMITS.maxEventBytes) } }), track({ userId: 'u'.repeat(201) })]);
    expect(answer.json().rejected).toEqual([
      { index: 0, messageId: expect.any(String), errors: [{ path: '(root)', message: expect.stringMatching(/^event is \d+ bytes; at most 32768 allowed$/) }] },
      { index: 1, messageId: expect.any(String), errors: [{ path: 'userId', message: 'must be at most 200 characters' }] },
    ]);
  });

  it('answers malformed envelopes with a 400 naming the field', async () => {
    const post = (payload: string, contentType = 'application/json') =>
      t.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': contentType, authorization: basicAuth(t.project.writeKey) }, payload });
    expect((await post('{not json')).json()).toMatchObject({ error: 'invalid_json' });
    expect((await post('')).statusCode).toBe(400);
    expect((await post('[]')).statusCode).toBe(400);
    expect((await post('{"batch":{}}')).json()).toMatchObject({ path: 'batch' });
    expect((await post('{"batch":[],"sentAt":"tomorrow"}')).json()).toMatchObject({ path: 'sentAt' });
    expect((await post('{"batch":[]}', 'application/xml')).statusCode).toBe(415);
  });

  it('keeps projects apart', async () => {
    const other = await t.createProject('Other');
    const mine = track({ userId: 'shared-user' });
    const theirs = track({ userId: 'shared-user', messageId: mine.messageId });
    await send([mine]);
    const answer = await send([theirs], { auth: basicAuth(other.writeKey) });
    // The same messageId in another project is a different event.
    expect(answer.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const otherEvents = await storedEvents(other.projectId);
    expect(otherEvents.map((row) => row.message_id)).toEqual([mine.messageId]);
    expect((await storedEvents()).some((row) => row.message_id === mine.messageId)).toBe(true);
  });

  it('enforces a project\'s allowed origins and answers CORS preflights', async () => {
    const strict = await t.createProject('Strict', ['https://app.example.com']);
    const post = (origin: string) =>
      t.app.inject({ method: 'POST', url: '/v1/batch', headers: { origin, authorization: basicAuth(strict.writeKey) }, payload: { batch: [track()] } });
    const allowed = await post('https://app.example.com');
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    // The SDK reads Retry-After from cross-origin answers.
    expect(allowed.headers['access-control-expose-headers']).toBe('retry-after');
    const denied = await post('https://evil.example.com');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toBe('origin_not_allowed');

    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/batch',
      headers: { origin: 'https://any.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  });

  it('serves health, readiness and OpenAPI 3.1', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/batch', '/v1/track', '/v1/identify', '/v1/group', '/v1/page']));
    expect(JSON.stringify(spec)).not.toContain('"$ref":"#/components/schemas/undefined"');
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a write key spends its burst', async () => {
    const t = await createTestApp('pglite', { rateLimitPerSecond: 1, rateLimitBurst: 3 });
    try {
      const post = () => t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(t.project.writeKey) }, payload: { batch: [] } });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post()).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await post();
      expect(limited.headers['retry-after']).toBe('1');
      expect(limited.json().error).toBe('rate_limited');
    } finally {
      await t.close();
    }
  });
});
