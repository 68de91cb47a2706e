import fc from 'fast-check';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { addDays, today } from '../../src/domain/days.ts';
import { firstKeptDay } from '../../src/domain/retention.ts';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { expireEvents, expireProjectEvents } from '../../src/privacy/expire-events.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const RETENTION = 10;
const D = today();
/** The last day that expires and the first that is kept (docs/privacy.md, "Retention"). */
const lastExpired = addDays(D, -RETENTION - 1);
const firstKept = addDays(D, -RETENTION);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * A small history: three users in account acme over days around the boundary, track and page
 * events on each day (the last expired day's at 23:59, the first kept day's at 00:00:30, the edges
 * of the boundary), an identify with traits and a group call with seats long before, NPS answers
 * on an expired day and a kept one.
 */
function history(): object[] {
  const events: object[] = [];
  let n = 0;
  const at = (day: string, time: string) => `${day}T${time}Z`;
  const track = (userId: string, day: string, time: string, event = 'Report Created', properties: object = {}) =>
    events.push({ type: 'track', messageId: `m${n++}`, userId, event, timestamp: at(day, time), properties, context: { groupId: 'acme', ip: '203.0.113.9' } });
  events.push({ type: 'identify', messageId: 'id-u1', userId: 'u1', timestamp: at(addDays(D, -20), '08:00:00'), traits: { email: 'u1@example.com', role: 'admin' }, context: { ip: '203.0.113.9', userAgent: 'UA' } });
  events.push({ type: 'group', messageId: 'grp-u1', userId: 'u1', groupId: 'acme', timestamp: at(addDays(D, -20), '08:01:00'), traits: { plan: 'growth', seats: 5 }, context: { ip: '203.0.113.9' } });
  events.push({ type: 'group', messageId: 'grp-u2', userId: 'u2', groupId: 'acme', timestamp: at(addDays(D, -15), '08:01:00'), traits: {}, context: {} });
  for (const day of [addDays(D, -20), addDays(D, -15), addDays(D, -12)]) {
    for (let i = 0; i < 6; i++) track('u1', day, `1${i}:00:00`);
    for (let i = 0; i < 4; i++) track('u2', day, `1${i}:30:00`, 'Export Run');
    events.push({ type: 'page', messageId: `m${n++}`, userId: 'u3', name: 'Home', timestamp: at(day, '09:00:00'), properties: {}, context: { groupId: 'acme' } });
  }
  for (let i = 0; i < 5; i++) track('u1', lastExpired, '23:59:00');
  track('u2', lastExpired, '23:59:00', '$nps_response', { score: 9 });
  for (let i = 0; i < 3; i++) track('u1', firstKept, '00:00:30');
  track('u3', firstKept, '00:00:30', '$nps_response', { score: 3 });
  for (let i = 0; i < 4; i++) track('u2', addDays(D, -1), '12:00:00');
  return events;
}

describe.each(testDatabaseKinds)('retention of raw events on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const patch = (secretKey: string, body: unknown) => t!.app.inject({ method: 'PATCH', url: '/v1/project', headers: bearer(secretKey), payload: body as object });
  const send = async (writeKey: string, batch: object[]) => {
    const response = await t!.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { sentAt: new Date().toISOString(), batch } });
    expect(response.statusCode, response.body).toBe(200);
  };
  /** Answers of the query API that cover past days: the DAU series, scores and NPS as of days on both sides of the boundary. */
  const figures = async (projectId: string, secretKey: string) => {
    // Recomputed, not served from the figure cache: the comparison is of the tables.
    t!.app.changeTracker.markProjectChanged(projectId);
    const urls = [
      `/v1/metrics/active?from=${addDays(D, -25)}&to=${addDays(D, -1)}`,
      `/v1/metrics/active?from=${addDays(D, -25)}&to=${addDays(D, -1)}&accountId=acme`,
      `/v1/accounts/acme/score?asOf=${lastExpired}`,
      `/v1/accounts/acme/score?asOf=${addDays(D, -1)}`,
      `/v1/users/u1/score?asOf=${lastExpired}`,
      `/v1/users/u2/score?asOf=${firstKept}`,
      `/v1/nps?from=${addDays(D, -25)}&to=${addDays(D, -1)}`,
      `/v1/accounts?asOf=${addDays(D, -1)}`,
      `/v1/accounts/acme/users?asOf=${addDays(D, -1)}`,
      `/v1/accounts/acme/utilisation?asOf=${lastExpired}`,
      `/v1/users/u1/segments?asOf=${addDays(D, -1)}`,
    ];
    const answers: Record<string, unknown> = {};
    for (const url of urls) {
      const response = await t!.app.inject({ method: 'GET', url, headers: bearer(secretKey) });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      answers[url] = response.json();
    }
    return answers;
  };
  const eventDays = async (projectId: string) =>
    (
      await sql<{ day: string; type: string; n: number }>`
        select (timestamp at time zone 'UTC')::date::text as day, type, count(*)::int as n from events
        where project_id = ${projectId} group by 1, 2 order by 1, 2`.execute(t!.app.store.db)
    ).rows;

  it('deletes exactly the expired days in many small batches, keeps every past figure, and a rebuild after it keeps them too', async () => {
    t = await createTestApp(kind);
    const { app } = t;
    const a = t.project;
    const b = await t.createProject('Other');
    const set = await patch(a.secretKey, { retentionDays: RETENTION });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ retentionDays: RETENTION, eventsExpiredBefore: null });
    await send(a.writeKey, history());
    await send(b.writeKey, history());
    // A warning received before the boundary (its payload is a raw event as sent).
    await sql`insert into ingestion_warnings (project_id, received_at, kind, errors, payload)
              values (${a.projectId}, ${new Date(`${lastExpired}T23:00:00Z`)}, 'rejected', '[]', '{"old":true}'),
                     (${a.projectId}, ${new Date(`${firstKept}T00:10:00Z`)}, 'rejected', '[]', '{"old":false}'),
                     (${b.projectId}, ${new Date(`${lastExpired}T23:00:00Z`)}, 'rejected', '[]', '{"old":true}')`.execute(app.store.db);
    const daysBefore = await eventDays(a.projectId);
    const otherBefore = await eventDays(b.projectId);
    const before = await figures(a.projectId, a.secretKey);
    const otherFigures = await figures(b.projectId, b.secretKey);

    const [done, ...more] = await expireEvents(app.store.db, { batchSize: 7 });
    expect(more).toEqual([]);
    const expiredRows = daysBefore.filter((row) => row.day < firstKept && (row.type === 'track' || row.type === 'page')).reduce((sum, row) => sum + row.n, 0);
    expect(expiredRows).toBe(39);
    expect(done).toMatchObject({ projectId: a.projectId, firstKeptDay: firstKept, eventsDeleted: expiredRows, callsCleared: 3, warningsDeleted: 1 });
    // Many batches of at most 7 rows each: ⌈rows/7⌉ (+1 when it divides evenly) per kind of row.
    expect(done!.batches).toBeGreaterThanOrEqual(Math.ceil(expiredRows / 7) + 2);

    // Exactly the days before D−retentionDays went: track and page rows of those days, nothing else.
    const daysAfter = await eventDays(a.projectId);
    expect(daysAfter).toEqual(daysBefore.filter((row) => row.day >= firstKept || row.type === 'identify' || row.type === 'group'));
    expect(daysAfter.find((row) => row.day === firstKept && row.type === 'track')?.n).toBe(4);
    expect(daysBefore.find((row) => row.day === lastExpired && row.type === 'track')?.n).toBe(6);
    // The old identify and group calls keep their traits, not their context.
    const calls = await app.store.db.selectFrom('events').select(['message_id', 'properties', 'context', 'extra']).where('project_id', '=', a.projectId).where('type', 'in', ['identify', 'group']).orderBy('message_id').execute();
    expect(calls.map((call) => [call.message_id, call.context, call.extra])).toEqual([['grp-u1', null, null], ['grp-u2', null, null], ['id-u1', null, null]]);
    expect(calls.find((call) => call.message_id === 'id-u1')?.properties).toEqual({ email: 'u1@example.com', role: 'admin' });
    // Both projects' warnings in one read: across projects (on Citus, across shards).
    const warnings = await acrossProjects(app.store.db, (trx) => trx.selectFrom('ingestion_warnings').select(['project_id', 'payload']).orderBy('project_id').execute());
    expect(warnings.filter((w) => w.project_id === a.projectId).map((w) => w.payload)).toEqual(['{"old":false}']);
    expect(warnings.filter((w) => w.project_id === b.projectId)).toHaveLength(1);

    // Every figure of past days is what it was; the other project has lost nothing.
    expect(await figures(a.projectId, a.secretKey)).toEqual(before);
    expect(await eventDays(b.projectId)).toEqual(otherBefore);
    expect(await figures(b.projectId, b.secretKey)).toEqual(otherFigures);
    expect((await t.app.inject({ method: 'GET', url: '/v1/project', headers: bearer(a.secretKey) })).json()).toMatchObject({ retentionDays: RETENTION, eventsExpiredBefore: firstKept });

    // Idempotent: a second run finds nothing left.
    const [again] = await expireEvents(app.store.db, { batchSize: 7 });
    expect(again).toMatchObject({ eventsDeleted: 0, callsCleared: 0, warningsDeleted: 0, batches: 3 });

    // A rebuild (one project, then all) recomputes the kept days and keeps the expired days' rows.
    await rebuildDerivedTables(app.store.db, app.changeTracker, a.projectId);
    expect(await figures(a.projectId, a.secretKey)).toEqual(before);
    await rebuildDerivedTables(app.store.db, app.changeTracker);
    expect(await figures(a.projectId, a.secretKey)).toEqual(before);
    expect(await figures(b.projectId, b.secretKey)).toEqual(otherFigures);

    // Without the mark the rebuild would lose the expired days: what the kept rows protect.
    await sql`update projects set events_expired_before = null where project_id = ${a.projectId}`.execute(app.store.db);
    await rebuildDerivedTables(app.store.db, app.changeTracker, a.projectId);
    expect(await figures(a.projectId, a.secretKey)).not.toEqual(before);
    // Each figures() round recomputes the accounts table, its health column included, after every change.
  }, 180_000);

  it('an expiry stopped partway is finished by the next run; a rebuild then recomputes the kept days from their events and keeps the rest', async () => {
    t = await createTestApp(kind);
    const a = t.project;
    await patch(a.secretKey, { retentionDays: RETENTION });
    await send(a.writeKey, history());
    // A run stopped partway (as a closing app stops it), then a full run: the second finishes the first.
    const stop = new AbortController();
    // The project's own expiry, so a slow first statement (Citus) cannot make the run stop before it.
    const interrupted = expireProjectEvents(t.app.store.db, a.projectId, RETENTION, { batchSize: 1, signal: stop.signal });
    setTimeout(() => stop.abort(), 5);
    const partial = await interrupted;
    const [rest] = await expireEvents(t.app.store.db, { batchSize: 4 });
    expect(partial.eventsDeleted + rest!.eventsDeleted).toBe(39);
    expect(partial.callsCleared + rest!.callsCleared).toBe(3);
    const left = await sql<{ n: number }>`select count(*)::int as n from events where project_id = ${a.projectId} and type in ('track', 'page') and timestamp < ${new Date(`${firstKept}T00:00:00Z`)}`.execute(t.app.store.db);
    expect(left.rows[0]!.n).toBe(0);
    const tables = async () => {
      const db = t!.app.store.db;
      const rows = async (table: 'user_day_events' | 'anonymous_day_events' | 'event_spans' | 'user_first_seen' | 'account_first_seen' | 'nps_responses' | 'memberships' | 'account_seats' | 'identity_links') =>
        (await sql<Record<string, unknown>>`select * from ${sql.table(table)} where project_id = ${a.projectId}`.execute(db)).rows.map((row) => JSON.stringify(row)).sort();
      return {
        user_day_events: await rows('user_day_events'),
        anonymous_day_events: await rows('anonymous_day_events'),
        event_spans: await rows('event_spans'),
        user_first_seen: await rows('user_first_seen'),
        account_first_seen: await rows('account_first_seen'),
        nps_responses: await rows('nps_responses'),
        memberships: await rows('memberships'),
        account_seats: await rows('account_seats'),
        identity_links: await rows('identity_links'),
      };
    };
    const kept = await tables();
    expect(kept.user_day_events.some((row) => row.includes(lastExpired))).toBe(true);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker, a.projectId);
    expect(await tables()).toEqual(kept);
  });

  it('refuses a hostile retentionDays with 400 naming the field, and null turns retention off', async () => {
    t = await createTestApp(kind);
    const { secretKey } = t.project;
    const hostile = [0, -1, 3651, 1.5, '30', true, {}, [], 1e300, -0.5, 'null'];
    for (const value of hostile) {
      const response = await patch(secretKey, { retentionDays: value });
      expect(response.statusCode, `${JSON.stringify(value)}: ${response.body}`).toBe(400);
      expect(response.json()).toMatchObject({ path: 'retentionDays' });
      expect(response.json().message).toContain('retentionDays');
    }
    // NaN and ±Infinity are left out: JSON sends them as null, which turns retention off (below).
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 3651 }), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean()), async (value) => {
        const response = await patch(secretKey, { retentionDays: value });
        expect(response.statusCode).toBe(400);
        expect(response.json().path).toBe('retentionDays');
      }),
      { numRuns: 60 },
    );
    expect((await patch(secretKey, { retentionDays: 1 })).json()).toMatchObject({ retentionDays: 1 });
    expect((await patch(secretKey, { retentionDays: 3650 })).json()).toMatchObject({ retentionDays: 3650 });
    expect((await patch(secretKey, { requireUserHash: false })).json()).toMatchObject({ retentionDays: 3650 });
    const off = await patch(secretKey, { retentionDays: null });
    expect(off.json()).toMatchObject({ retentionDays: null });
    expect(await expireEvents(t.app.store.db, {})).toEqual([]);
  });

  it('the worker buildApp starts expires the raw events on its own, in batches', async () => {
    t = await createTestApp(kind, { retention: { run: true, batchSize: 3, intervalMs: 20 } });
    const a = t.project;
    await patch(a.secretKey, { retentionDays: RETENTION });
    await send(a.writeKey, history());
    const expired = async () =>
      Number((await sql<{ n: number }>`select count(*)::int as n from events where project_id = ${a.projectId} and type in ('track', 'page') and timestamp < ${new Date(`${firstKept}T00:00:00Z`)}`.execute(t!.app.store.db)).rows[0]!.n);
    expect(await expired()).toBeGreaterThan(0);
    // Wait until the worker's next run has gone through (runs are 20 ms apart).
    for (let tries = 0; tries < 500 && (await expired()) > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await expired()).toBe(0);
    expect((await eventDays(a.projectId)).filter((row) => row.day >= firstKept).reduce((sum, row) => sum + row.n, 0)).toBe(8);
  });
});

describe('firstKeptDay', () => {
  it('keeps D−N … D and expires every day before D−N', () => {
    expect(firstKeptDay('2026-12-05', 30)).toBe('2026-11-05');
    expect(firstKeptDay('2026-03-01', 1)).toBe('2026-02-28');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 3650 }), (offset, days) => {
        const day = addDays('2000-01-01', offset);
        expect(addDays(firstKeptDay(day, days), days)).toBe(day);
      }),
    );
  });
});
