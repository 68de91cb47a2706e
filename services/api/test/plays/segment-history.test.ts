import { createUptakeClient } from '@uptake/client';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { createSegmentWatcher, type SegmentWatcher } from '../../src/plays/segment-watcher.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateProjectPair } from '../support/generate-data.ts';
import { ingestEvents, ingestProjects } from '../support/ingest.ts';
import { addDays, BUILT_IN_SEGMENTS, oracleSegmentMembers, type BuiltInSegmentKey, type OracleEvent } from '../support/oracle.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

// Segment transitions (docs/plays.md) against the oracle over generated days: the watcher is
// driven day by day with an explicit as-of day, and every entry and exit it records must be the
// difference between the oracle's members of consecutive days; the first day is a baseline.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const pair = generateProjectPair({ seed: 44, asOf: yesterday, days: 70, accounts: 8 });
const builtInKeys = Object.keys(BUILT_IN_SEGMENTS) as BuiltInSegmentKey[];
// Day by day near the end, then a jump (the service was down for days), then day by day again.
const checkDays = [-20, -19, -18, -17, -16, -12, -11, -10, -9, -5, -4, -3, -2, -1, 0].map((back) => addDays(yesterday, back));
const silent = pino({ level: 'silent' });

type Row = { segment_key: string; member_id: string; kind: string; day: string; transition_id: number; facts: unknown };

const oracleMemo = new Map<string, Set<string>>();
const oracleMembers = (events: readonly OracleEvent[], key: BuiltInSegmentKey, asOf: string) => {
  const id = `${events === pair.first.events ? 1 : 2}|${key}|${asOf}`;
  if (!oracleMemo.has(id)) oracleMemo.set(id, new Set(oracleSegmentMembers(events, key, { asOf })));
  return oracleMemo.get(id)!;
};
const sorted = (ids: Iterable<string>) => [...ids].sort();

describe.each(testDatabaseKinds)('segment history on %s', (kind) => {
  let t: TestApp;
  let second: ProjectKeys;
  let watcher: SegmentWatcher;
  const db = () => t.app.store.db;
  const transitions = async (projectId: string) =>
    (
      await sql<Row>`select segment_key, member_id, kind, day::text as day, transition_id, facts from segment_transitions where project_id = ${projectId} order by transition_id`.execute(db())
    ).rows;
  const call = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const addEndpoint = (projectId: string, endpointId: string) =>
    sql`insert into webhook_endpoints (project_id, endpoint_id, url, event_types, secret) values (${projectId}, ${endpointId}, 'http://127.0.0.1:9/hook', ${['segment.entered', 'segment.exited']}::text[], 'whsec_test')`.execute(db());

  beforeAll(async () => {
    t = await createTestApp(kind);
    second = await t.createProject('Second');
    await ingestProjects(t.app, [
      { writeKey: t.project.writeKey, events: pair.first.events },
      { writeKey: second.writeKey, events: pair.second.events },
    ]);
    watcher = createSegmentWatcher({ db: t.app.store.db, changeTracker: t.app.changeTracker, log: silent });
    await addEndpoint(t.project.projectId, 'ep_all');
  }, 180_000);
  afterAll(async () => t?.close());

  it('records a baseline, then exactly the oracle’s entries and exits day after day, each with one outbox delivery', async () => {
    let entries = 0;
    let exits = 0;
    for (const [index, day] of checkDays.entries()) {
      const before = (await transitions(t.project.projectId)).length;
      const outcome = await watcher.checkProject(t.project.projectId, day);
      expect(outcome.status).toBe('recorded');
      const found = (await transitions(t.project.projectId)).slice(before);
      expect(found.every((row) => row.day === day)).toBe(true);
      for (const key of builtInKeys) {
        const own = found.filter((row) => row.segment_key === key);
        const now = oracleMembers(pair.first.events, key, day);
        if (index === 0) {
          expect(sorted(own.map((row) => row.member_id)), `${key} baseline ${day}`).toEqual(sorted(now));
          expect(own.every((row) => row.kind === 'baseline')).toBe(true);
          continue;
        }
        const then = oracleMembers(pair.first.events, key, checkDays[index - 1]!);
        const entered = sorted([...now].filter((id) => !then.has(id)));
        const exited = sorted([...then].filter((id) => !now.has(id)));
        expect(sorted(own.filter((row) => row.kind === 'entered').map((row) => row.member_id)), `${key} entered ${day}`).toEqual(entered);
        expect(sorted(own.filter((row) => row.kind === 'exited').map((row) => row.member_id)), `${key} exited ${day}`).toEqual(exited);
        expect(own.some((row) => row.kind === 'baseline')).toBe(false);
        entries += entered.length;
        exits += exited.length;
      }
    }
    // The generated days move members both ways (new users, dormant, usage drop …).
    expect(entries).toBeGreaterThan(3);
    expect(exits).toBeGreaterThan(3);
    // One delivery per entry or exit to the subscribed endpoint, none for baselines, ids stable per transition.
    const moves = (await transitions(t.project.projectId)).filter((row) => row.kind !== 'baseline');
    const deliveries = await db().selectFrom('webhook_deliveries').select(['message_id', 'event_type', 'payload']).where('project_id', '=', t.project.projectId).execute();
    expect(sorted(deliveries.map((row) => row.message_id))).toEqual(sorted(moves.map((row) => `msg_tr_${t.project.projectId}_${row.transition_id}`)));
    const sample = deliveries.find((row) => row.event_type === 'segment.entered')!;
    const payload = (typeof sample.payload === 'string' ? JSON.parse(sample.payload) : sample.payload) as { type: string; data: Record<string, any> };
    expect(payload.type).toBe('segment.entered');
    expect(payload.data).toMatchObject({ segment: { key: expect.any(String), name: expect.any(String) }, day: expect.any(String), facts: expect.any(Object) });
    // Stored memberships equal the oracle's members of the last day checked.
    const last = checkDays.at(-1)!;
    const stored = await db().selectFrom('segment_memberships').select(['segment_key', 'member_id']).where('project_id', '=', t.project.projectId).execute();
    for (const key of builtInKeys) expect(sorted(stored.filter((row) => row.segment_key === key).map((row) => row.member_id)), key).toEqual(sorted(oracleMembers(pair.first.events, key, last)));
  }, 300_000);

  it('records nothing new when nothing changed, after a rebuild, or for a day already passed', async () => {
    const before = (await transitions(t.project.projectId)).length;
    const last = checkDays.at(-1)!;
    expect(await watcher.checkProject(t.project.projectId, last)).toMatchObject({ status: 'recorded', entered: 0, exited: 0, baselines: 0 });
    await rebuildDerivedTables(db(), t.app.changeTracker, t.project.projectId);
    expect(await watcher.checkProject(t.project.projectId, last)).toMatchObject({ status: 'recorded', entered: 0, exited: 0, baselines: 0 });
    // A clock behind the recorded day never records an older day's view.
    expect(await watcher.checkProject(t.project.projectId, addDays(last, -3))).toEqual({ status: 'later-day' });
    expect((await transitions(t.project.projectId)).length).toBe(before);
  }, 120_000);

  it('keeps projects apart: each project’s history holds its own members only, and the routes answer per key', async () => {
    // The pair's ids overlap on purpose (acct-01, user-01-01 … in both projects).
    await watcher.checkProject(second.projectId, checkDays.at(-1)!);
    const own = await transitions(second.projectId);
    for (const key of builtInKeys) {
      expect(sorted(own.filter((row) => row.segment_key === key).map((row) => row.member_id)), key).toEqual(sorted(oracleMembers(pair.second.events, key, checkDays.at(-1)!)));
    }
    // Only baselines for the second project (its first check), nothing delivered: it has no endpoint.
    expect(own.every((row) => row.kind === 'baseline')).toBe(true);
    const firstRows = await transitions(t.project.projectId);
    const secondIds = new Set(own.map((row) => row.transition_id));
    const firstChanges = await call(`/v1/segments/new-users/changes?since=${checkDays[0]}&until=${yesterday}&limit=1000`);
    expect(firstChanges.statusCode, firstChanges.body).toBe(200);
    for (const item of firstChanges.json().items) expect(secondIds.has(item.transitionId)).toBe(false);
    const shared = own.find((row) => BUILT_IN_SEGMENTS[row.segment_key as keyof typeof BUILT_IN_SEGMENTS] === 'users' && firstRows.some((one) => one.member_id === row.member_id))!;
    expect(shared).toBeDefined();
    const userUrl = `/v1/users/${encodeURIComponent(shared.member_id)}/segments/history?limit=1000`;
    const isUsers = (row: Row) => BUILT_IN_SEGMENTS[row.segment_key as keyof typeof BUILT_IN_SEGMENTS] === 'users';
    const mine = await call(userUrl);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().items.map((item: any) => item.transitionId)).toEqual(firstRows.filter((row) => row.member_id === shared.member_id && isUsers(row)).map((row) => row.transition_id));
    const theirs = await call(userUrl, second.secretKey);
    expect(theirs.statusCode, theirs.body).toBe(200);
    expect(theirs.json().items.map((item: any) => item.transitionId)).toEqual(own.filter((row) => row.member_id === shared.member_id && isUsers(row)).map((row) => row.transition_id));
  }, 120_000);

  it('answers the changes of a segment page by page, and one member’s history', async () => {
    const moves = (await transitions(t.project.projectId)).filter((row) => row.kind !== 'baseline');
    const busiest = [...Map.groupBy(moves, (row) => row.segment_key)].sort((a, b) => b[1].length - a[1].length)[0]!;
    const [key, rows] = busiest;
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(`/v1/segments/${encodeURIComponent(key)}/changes?since=${checkDays[0]}&until=${yesterday}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json();
      expect(page.segment).toMatchObject({ key, of: BUILT_IN_SEGMENTS[key as keyof typeof BUILT_IN_SEGMENTS] });
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) {
        expect(['entered', 'exited']).toContain(item.kind);
        seen.push(item.transitionId);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(rows.map((row) => row.transition_id));
    // since/until choose days.
    const lastDay = checkDays.at(-1)!;
    const oneDay = (await call(`/v1/segments/${encodeURIComponent(key)}/changes?since=${lastDay}&until=${lastDay}&limit=1000`)).json();
    expect(oneDay.items.map((item: any) => item.transitionId)).toEqual(rows.filter((row) => row.day === lastDay).map((row) => row.transition_id));

    const row = rows[0]!;
    const of = BUILT_IN_SEGMENTS[key as keyof typeof BUILT_IN_SEGMENTS];
    const history = await call(`/v1/${of}/${encodeURIComponent(row.member_id)}/segments/history?limit=1000`);
    expect(history.statusCode, history.body).toBe(200);
    const body = history.json();
    const all = (await transitions(t.project.projectId)).filter((one) => one.member_id === row.member_id && BUILT_IN_SEGMENTS[one.segment_key as keyof typeof BUILT_IN_SEGMENTS] === of);
    expect(body.items.map((item: any) => item.transitionId)).toEqual(all.map((one) => one.transition_id));
    const memberships = await db().selectFrom('segment_memberships').select('segment_key').where('project_id', '=', t.project.projectId).where('member_id', '=', row.member_id).execute();
    expect(body.current.map((one: any) => one.key)).toEqual(sorted(memberships.map((one) => one.segment_key).filter((segment) => BUILT_IN_SEGMENTS[segment as keyof typeof BUILT_IN_SEGMENTS] === of)));
  }, 120_000);

  it('answers the typed client over HTTP', async () => {
    const host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const client = createUptakeClient({ host, secretKey: t.project.secretKey });
    const moves = (await transitions(t.project.projectId)).filter((row) => row.kind !== 'baseline' && BUILT_IN_SEGMENTS[row.segment_key as keyof typeof BUILT_IN_SEGMENTS] === 'users');
    const [key, rows] = [...Map.groupBy(moves, (row) => row.segment_key)].sort((a, b) => b[1].length - a[1].length)[0]!;
    const changes: number[] = [];
    for await (const change of client.allSegmentChanges(key, { since: checkDays[0]!, until: yesterday, limit: 3 })) changes.push(change.transitionId);
    expect(changes).toEqual(rows.map((row) => row.transition_id));
    const history = await client.userSegmentHistory(rows[0]!.member_id);
    expect(history.items.map((item) => item.transitionId)).toContain(rows[0]!.transition_id);
    await expect(client.accountSegmentHistory('no-such-account')).rejects.toMatchObject({ status: 404 });
  });

  it('refuses hostile parameters with a 400 naming the field, unknown ids with a 404, a write key with a 401', async () => {
    const bad = async (url: string, path: string) => {
      const response = await call(url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json().path ?? response.json().message, url).toContain(path);
    };
    await bad('/v1/segments/dormant/changes?since=2026-13-45', 'since');
    await bad('/v1/segments/dormant/changes?until=yesterday', 'until');
    await bad('/v1/segments/dormant/changes?since=2026-02-02&until=2026-02-01', 'since');
    await bad('/v1/segments/dormant/changes?since=2001-01-01&until=2026-02-01', 'since');
    await bad('/v1/segments/dormant/changes?limit=0', 'limit');
    await bad('/v1/segments/dormant/changes?limit=abc', 'limit');
    await bad('/v1/segments/dormant/changes?cursor=%E2%9C%93notacursor', 'cursor');
    await bad(`/v1/segments/dormant/changes?cursor=${Buffer.from('["x"]').toString('base64url')}`, 'cursor');
    await bad('/v1/users/u1/segments/history?cursor=zzz', 'cursor');
    await bad('/v1/accounts/a/segments/history?limit=1001', 'limit');
    await bad('/v1/segments/a%00b/changes', 'key');
    expect((await call('/v1/segments/no-such-segment/changes')).statusCode).toBe(404);
    expect((await call('/v1/accounts/no-such-account/segments/history')).json()).toMatchObject({ error: 'account_not_found' });
    expect((await call('/v1/users/no-such-user/segments/history')).json()).toMatchObject({ error: 'user_not_found' });
    expect((await call('/v1/segments/dormant/changes', t.project.writeKey)).statusCode).toBe(401);
  });

  it('starts a new baseline, sending nothing, for a new score model version and for an edited custom rule', async () => {
    const last = checkDays.at(-1)!;
    const post = async (url: string, method: 'POST' | 'PUT', payload: object) => {
      const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.project.secretKey}` }, payload });
      expect(response.statusCode, response.body).toBeLessThan(300);
    };
    const deliveries = async () => Number((await sql<{ n: number }>`select count(*) as n from webhook_deliveries where project_id = ${t.project.projectId}`.execute(db())).rows[0]!.n);
    const sent = await deliveries();
    await post('/v1/segments', 'POST', { key: 'busy', name: 'Busy', of: 'users', rule: { field: 'featureCount', event: 'Report Created', op: 'gt', value: 1 } });
    let before = (await transitions(t.project.projectId)).length;
    const first = await watcher.checkProject(t.project.projectId, last);
    expect(first).toMatchObject({ status: 'recorded', entered: 0, exited: 0 });
    let found = (await transitions(t.project.projectId)).slice(before);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((row) => row.segment_key === 'busy' && row.kind === 'baseline')).toBe(true);

    await post('/v1/segments/busy', 'PUT', { name: 'Busy', of: 'users', rule: { field: 'featureCount', event: 'Report Created', op: 'gt', value: 3 } });
    before = (await transitions(t.project.projectId)).length;
    expect(await watcher.checkProject(t.project.projectId, last)).toMatchObject({ status: 'recorded', entered: 0, exited: 0 });
    found = (await transitions(t.project.projectId)).slice(before);
    expect(found.every((row) => row.segment_key === 'busy' && row.kind === 'baseline')).toBe(true);

    await post('/v1/score-models', 'POST', { features: { 'Report Created': { weight: 2, label: 'Reports' }, 'Export CSV': { weight: 1, label: 'Exports' } } });
    before = (await transitions(t.project.projectId)).length;
    expect(await watcher.checkProject(t.project.projectId, last)).toMatchObject({ status: 'recorded', entered: 0, exited: 0 });
    found = (await transitions(t.project.projectId)).slice(before);
    expect(found.every((row) => row.kind === 'baseline')).toBe(true);
    // The new model names two features: their feature-unused segments are tracked from now on.
    expect(new Set(found.map((row) => row.segment_key))).toContain('busy');
    const watched = await db().selectFrom('segment_watches').select(['segment_key', 'model_version']).where('project_id', '=', t.project.projectId).execute();
    expect(watched.map((row) => row.segment_key)).toEqual(expect.arrayContaining(['feature-unused:Export CSV', 'feature-unused:Report Created']));
    expect(new Set(watched.map((row) => row.model_version))).toEqual(new Set([2]));
    expect(await deliveries()).toBe(sent);
  }, 120_000);

  it('records an entry caused by an event, through the watcher’s rounds, and a day change by its clock', async () => {
    const last = checkDays.at(-1)!;
    let clock = new Date(`${last}T12:00:00.000Z`);
    const rounds = createSegmentWatcher({ db: db(), changeTracker: t.app.changeTracker, log: silent, now: () => clock });
    await rounds.tick();
    const before = (await transitions(t.project.projectId)).length;
    // A user who never reported before sends enough reports to be busy (rule: more than 3).
    const userId = 'fresh-reporter';
    const events = [0, 1, 2, 3].map((minute) => ({ type: 'track', event: 'Report Created', userId, messageId: `fresh-${minute}`, timestamp: `${last}T10:0${minute}:00.000Z` }));
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(t.project.writeKey) }, payload: { sentAt: new Date().toISOString(), batch: events } });
    expect(response.statusCode, response.body).toBe(200);
    await rounds.tick();
    const found = (await transitions(t.project.projectId)).slice(before);
    expect(found.filter((row) => row.segment_key === 'busy').map((row) => [row.member_id, row.kind, row.day])).toEqual([[userId, 'entered', last]]);
    // The next UTC day by the watcher's clock: members move by time alone (new-users, dormant …), dated that day.
    clock = new Date(`${addDays(last, 1)}T00:00:05.000Z`);
    await rounds.tick();
    const watches = await db().selectFrom('segment_watches').select(sql<string>`checked_day::text`.as('day')).where('project_id', '=', t.project.projectId).execute();
    expect(new Set(watches.map((row) => row.day))).toEqual(new Set([addDays(last, 1)]));
    const nextDay = (await transitions(t.project.projectId)).filter((row) => row.day === addDays(last, 1));
    expect(nextDay.every((row) => row.kind !== 'baseline')).toBe(true);
    await rounds.stop();
  }, 120_000);

  it('writes a transition and its deliveries in one transaction: a failing outbox write records nothing', async () => {
    const third = await t.createProject('Third');
    await ingestEvents(t.app, third.writeKey, pair.second.events);
    await addEndpoint(third.projectId, 'ep_fail');
    const day = checkDays.at(-3)!;
    expect(await watcher.checkProject(third.projectId, day)).toMatchObject({ status: 'recorded', entered: 0 });
    // Citus refuses a trigger on a distributed table unless told it is meant (this one only
    // raises); elsewhere the setting is an unused placeholder.
    await db().connection().execute(async (connection) => {
      await sql`set citus.enable_unsafe_triggers = on`.execute(connection);
      await sql`create function refuse_delivery() returns trigger language plpgsql as $$ begin raise exception 'outbox refused'; end $$`.execute(connection);
      await sql`create trigger refuse_delivery before insert on webhook_deliveries for each row execute function refuse_delivery()`.execute(connection);
    });
    const before = await transitions(third.projectId);
    const memberships = await db().selectFrom('segment_memberships').select(['segment_key', 'member_id']).where('project_id', '=', third.projectId).execute();
    await expect(watcher.checkProject(third.projectId, checkDays.at(-1)!)).rejects.toThrow(/outbox refused/);
    expect(await transitions(third.projectId)).toEqual(before);
    expect(await db().selectFrom('segment_memberships').select(['segment_key', 'member_id']).where('project_id', '=', third.projectId).execute()).toEqual(memberships);
    await db().connection().execute(async (connection) => {
      await sql`set citus.enable_unsafe_triggers = on`.execute(connection);
      await sql`drop trigger refuse_delivery on webhook_deliveries`.execute(connection);
      await sql`drop function refuse_delivery()`.execute(connection);
    });
    const outcome = await watcher.checkProject(third.projectId, checkDays.at(-1)!);
    expect(outcome).toMatchObject({ status: 'recorded' });
    if (outcome.status !== 'recorded') return;
    expect(outcome.entered + outcome.exited).toBeGreaterThan(0);
    expect(outcome.deliveries).toBe(outcome.entered + outcome.exited);
  }, 120_000);
});
