import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { Database } from '../../src/db/database.ts';
import { createSegmentWatcher, type SegmentWatcher } from '../../src/plays/segment-watcher.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, BUILT_IN_SEGMENTS, oracleSegmentMembers, type BuiltInSegmentKey } from '../support/oracle.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

// Several instances on one database (docs/plays.md): checks of one project are serialised, and the
// memberships re-read inside the locked transaction, so each transition is recorded once — by
// whichever instance gets there first — and the other finds nothing left to record.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 77, asOf: yesterday, days: 60, accounts: 6 });
const days = [-8, -7, -6, -5, -4, -3, -2, -1, 0].map((back) => addDays(yesterday, back));
const builtInKeys = Object.keys(BUILT_IN_SEGMENTS) as BuiltInSegmentKey[];
const silent = pino({ level: 'silent' });

describe.each(testDatabaseKinds)('two segment watchers on one %s database', (kind) => {
  let database: TestDatabase;
  let apps: FastifyInstance[];
  let project: ProjectKeys;
  let watchers: SegmentWatcher[];
  const db = (): Kysely<Database> => apps[0]!.store.db;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const first = await buildApp(testConfig(database.config), { logger: silent });
    // PGlite is one process's database: the second watcher shares the first app's store there;
    // on Postgres it is a second app with its own pool, change tracker and change feed.
    apps = kind === 'postgres' ? [first, await buildApp(testConfig(database.config), { logger: silent })] : [first];
    project = await createProject(first.store.db, { name: 'Shared' });
    await ingestEvents(first, project.writeKey, data.events);
    const second = apps[1] ?? first;
    watchers = [first, second].map((app) => createSegmentWatcher({ db: app.store.db, changeTracker: app.changeTracker, log: silent }));
    await sql`insert into webhook_endpoints (project_id, endpoint_id, url, event_types, secret) values (${project.projectId}, 'ep', 'http://127.0.0.1:9/hook', ${['segment.entered', 'segment.exited']}::text[], 'whsec_test')`.execute(db());
  }, 180_000);
  afterAll(async () => {
    for (const watcher of watchers ?? []) await watcher.stop();
    for (const app of apps ?? []) await app.close();
    await database?.drop();
  });

  it('records each transition once when both check every day at the same time', async () => {
    for (const day of days) {
      let outcomes = await Promise.all(watchers.map((watcher) => watcher.checkProject(project.projectId, day)));
      // The one that lost the race computes again, as its next round would.
      for (let attempt = 0; outcomes.some((outcome) => outcome.status === 'raced') && attempt < 5; attempt++) {
        outcomes = await Promise.all(outcomes.map((outcome, index) => (outcome.status === 'raced' ? watchers[index]!.checkProject(project.projectId, day) : outcome)));
      }
      expect(outcomes.every((outcome) => outcome.status === 'recorded'), JSON.stringify(outcomes)).toBe(true);
    }
    const rows = (
      await sql<{ segment_key: string; member_id: string; kind: string; day: string; transition_id: number }>`
        select segment_key, member_id, kind, day::text as day, transition_id from segment_transitions where project_id = ${project.projectId} order by transition_id`.execute(db())
    ).rows;
    const keys = rows.map((row) => `${row.segment_key}|${row.member_id}|${row.kind}|${row.day}`);
    expect(new Set(keys).size).toBe(keys.length);
    // And they are the oracle's: a baseline on the first day, then each day's differences.
    let moves = 0;
    for (const key of builtInKeys) {
      let then: Set<string> | undefined;
      for (const day of days) {
        const now = new Set(oracleSegmentMembers(data.events, key, { asOf: day }));
        const own = rows.filter((row) => row.segment_key === key && row.day === day);
        const expected = then === undefined ? [...now].map((id) => `baseline ${id}`) : [...[...now].filter((id) => !then!.has(id)).map((id) => `entered ${id}`), ...[...then].filter((id) => !now.has(id)).map((id) => `exited ${id}`)];
        expect(own.map((row) => `${row.kind} ${row.member_id}`).sort(), `${key} ${day}`).toEqual(expected.sort());
        if (then !== undefined) moves += expected.length;
        then = now;
      }
    }
    expect(moves).toBeGreaterThan(0);
    const deliveries = await db().selectFrom('webhook_deliveries').select('message_id').where('project_id', '=', project.projectId).execute();
    expect(deliveries.length).toBe(moves);
  }, 300_000);

  it('records an event’s entry once with both watchers running their rounds', async () => {
    const last = days.at(-1)!;
    await sql`insert into segments (project_id, key, name, of, rule) values (${project.projectId}, 'exporter', 'Exporter', 'users', ${JSON.stringify({ field: 'featureCount', event: 'Bulk Export', days: 30, op: 'gte', value: 1 })})`.execute(db());
    const clock = () => new Date(`${last}T12:00:00.000Z`);
    const running = apps.length === 2 ? apps : [apps[0]!, apps[0]!];
    const loops = running.map((app) => createSegmentWatcher({ db: app.store.db, changeTracker: app.changeTracker, log: silent, now: clock, pollMs: 20 }));
    for (const loop of loops) loop.start();
    const entered = async () =>
      (await sql<{ n: number }>`select count(*) as n from segment_transitions where project_id = ${project.projectId} and segment_key = 'exporter' and kind = 'entered'`.execute(db())).rows[0]!.n;
    const baselined = async () => (await db().selectFrom('segment_watches').select('segment_key').where('project_id', '=', project.projectId).where('segment_key', '=', 'exporter').executeTakeFirst()) !== undefined;
    for (let wait = 0; !(await baselined()) && wait < 600; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    // Sent through the second instance: the first hears of it through the change feed.
    const target = running[1]!;
    const response = await target.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basicAuth(project.writeKey) },
      payload: { sentAt: new Date().toISOString(), batch: [{ type: 'track', event: 'Bulk Export', userId: 'exporting-user', messageId: 'bulk-1', timestamp: `${last}T09:00:00.000Z` }] },
    });
    expect(response.statusCode, response.body).toBe(200);
    for (let wait = 0; Number(await entered()) === 0 && wait < 600; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    // Both keep running a while longer: neither records it again.
    for (const loop of loops) await loop.tick();
    for (const loop of loops) await loop.tick();
    for (const loop of loops) await loop.stop();
    expect(Number(await entered())).toBe(1);
  }, 120_000);
});
