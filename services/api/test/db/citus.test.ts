/**
 * Uptake on a Citus cluster (docs/scale-out.md): an installation moved from a single Postgres with
 * data answers the same figures once `uptake migrate` has distributed its tables, and ingestion
 * keeps every acknowledged event exactly once while a worker holding the project's shard is
 * stopped and started again. Skipped, saying why, where Citus is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { citusSkipReason, citusTestUrl, FAN_OUT_FAILS } from '../support/citus-database.ts';
import { citusClusterSkipReason, startCitusCluster, type CitusCluster } from '../support/citus-cluster.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { routeAnswers } from '../support/route-answers.ts';
import { basicAuth, createTestApp, testConfig } from '../support/test-app.ts';
import { generateDemoData } from '../../src/demo/demo-data.ts';
import { loadDemoEvents } from '../../src/demo/load-demo.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
const inDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

describe.skipIf(citusSkipReason !== undefined)('moving an installation from one Postgres to Citus', () => {
  const coordinatorUrl = citusTestUrl!;
  const name = `uptake_move_${randomBytes(5).toString('hex')}`;
  let workerUrls: string[] = [];

  beforeAll(async () => {
    const workers = await query<{ nodename: string; nodeport: number }>(coordinatorUrl, 'select nodename, nodeport from pg_dist_node where groupid <> 0 order by nodeport');
    workerUrls = workers.map((worker) => `postgres://postgres@${worker.nodename}:${worker.nodeport}/postgres`);
  });
  afterAll(async () => {
    for (const url of [coordinatorUrl, ...workerUrls]) await query(url, `drop database if exists ${name} with (force)`);
    await query(coordinatorUrl, `drop database if exists ${name}_single with (force)`);
  });

  it('distributes tables that hold rows, and every figure is the same before and after', async () => {
    // The single Postgres: a database without the extension (on the coordinator's server, which
    // then behaves as any Postgres 15), migrated and filled through the API.
    await query(coordinatorUrl, `create database ${name}_single`);
    const singleUrl = inDatabase(coordinatorUrl, `${name}_single`);
    const single = await buildApp(testConfig({ kind: 'postgres', url: singleUrl, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });
    const data = generateDataset({ seed: 7, asOf: yesterday, days: 40, accounts: 5 });
    const accountIds = [...new Set(data.events.flatMap((event) => (event.type === 'group' && event.groupId ? [event.groupId] : [])))];
    let keys: ProjectKeys;
    let before: Record<string, unknown>;
    try {
      keys = await createProject(single.store.db, { name: 'Moving' });
      await ingestEvents(single, keys.writeKey, data.events, { batchSize: 200, seed: 3 });
      before = await routeAnswers(single, keys.secretKey, accountIds, yesterday);
    } finally {
      await single.close();
    }

    // The steps of docs/scale-out.md, "Moving an installation": the cluster's database with the
    // extension on every node, the dump restored into the coordinator, then `uptake migrate`.
    for (const url of [coordinatorUrl, ...workerUrls]) {
      await query(url, `create database ${name}`);
      await query(inDatabase(url, name), 'create extension citus');
    }
    const movedUrl = inDatabase(coordinatorUrl, name);
    await query(movedUrl, `select citus_set_coordinator_host($1, $2)`, [new URL(coordinatorUrl).hostname, Number(new URL(coordinatorUrl).port)]);
    for (const url of workerUrls) await query(movedUrl, 'select citus_add_node($1, $2)', [new URL(url).hostname, Number(new URL(url).port)]);
    const dump = execFileSync(`${PG_BIN}/pg_dump`, ['--no-owner', '--dbname', singleUrl], { maxBuffer: 512 * 1024 * 1024 });
    const restore = spawnSync(`${PG_BIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--dbname', movedUrl], { input: dump });
    expect(restore.status, restore.stderr.toString()).toBe(0);
    const migrate = spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, DATABASE_URL: movedUrl, LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    expect(migrate.status, migrate.stderr).toBe(0);

    const tables = await query<{ table_name: string; citus_table_type: string; colocation_id: number }>(movedUrl, 'select table_name::text, citus_table_type, colocation_id from citus_tables order by 1');
    const tenant = await query<{ table_name: string }>(movedUrl, `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'project_id' order by 1`);
    expect(tables.map((table) => table.table_name)).toEqual(tenant.map((table) => table.table_name));
    const distributed = tables.filter((table) => table.citus_table_type === 'distributed');
    expect(new Set(distributed.map((table) => table.colocation_id)).size, 'one co-location group').toBe(1);
    expect(tables.filter((table) => table.citus_table_type === 'reference').map((table) => table.table_name)).toEqual(['projects', 'retired_keys']);
    // The rows live in the shards; the coordinator's own copies were emptied.
    const [{ local }] = await query<{ local: number }>(movedUrl, `select pg_relation_size('events'::regclass)::int as local`) as [{ local: number }];
    expect(local).toBe(0);

    await query(coordinatorUrl, `alter database ${name} set ${FAN_OUT_FAILS}`);
    const moved = await buildApp(testConfig({ kind: 'postgres', url: movedUrl, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });
    try {
      expect(await routeAnswers(moved, keys.secretKey, accountIds, yesterday)).toEqual(before);
      const [{ events }] = (await moved.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('events')).where('project_id', '=', keys.projectId).execute()) as [{ events: number }];
      expect(events).toBe(new Set(data.events.map((event) => event.messageId)).size);
    } finally {
      await moved.close();
    }
  }, 300_000);
});

describe.skipIf(citusSkipReason !== undefined)('two projects on the same shard and on different shards', () => {
  it('each keeps its own events, ids and figures', async () => {
    const t = await createTestApp('postgres');
    try {
      const shardOf = async (projectId: string) =>
        (await t.app.store.pool.query<{ shard: string }>(`select get_shard_id_for_distribution_column('events', $1::text)::text as shard`, [projectId])).rows[0]!.shard;
      const projects = [{ ...t.project, shard: await shardOf(t.project.projectId) }];
      const pairs = () => ({
        same: projects.slice(1).find((project) => project.shard === projects[0]!.shard),
        other: projects.slice(1).find((project) => project.shard !== projects[0]!.shard),
      });
      while (!pairs().same || !pairs().other) {
        const keys = await t.createProject(`p${projects.length}`);
        projects.push({ ...keys, shard: await shardOf(keys.projectId) });
      }
      const first = projects[0]!;
      const send = async (writeKey: string, users: string[]) => {
        const batch = users.map((userId, i) => ({ type: 'track', event: 'Report Created', userId, messageId: `shared-${i}`, timestamp: `${yesterday}T10:00:00.000Z` }));
        const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch } });
        expect(response.statusCode, response.body).toBe(200);
        return response.json() as { accepted: number; duplicates: number };
      };
      const users = async (secretKey: string) => {
        const response = await t.app.inject({ method: 'GET', url: `/v1/scores/users?asOf=${yesterday}&limit=100`, headers: { authorization: `Bearer ${secretKey}` } });
        expect(response.statusCode, response.body).toBe(200);
        return (response.json() as { items: Array<{ userId: string }> }).items.map((item) => item.userId).sort();
      };
      expect(await send(first.writeKey, ['u1', 'u2', 'u3'])).toMatchObject({ accepted: 3, duplicates: 0 });
      const { same, other } = pairs();
      // The same messageIds and user ids in another project: new events, on its shard or on another.
      expect(await send(same!.writeKey, ['u1'])).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(await send(other!.writeKey, ['u1', 'u9'])).toMatchObject({ accepted: 2, duplicates: 0 });
      expect(await users(first.secretKey)).toEqual(['u1', 'u2', 'u3']);
      expect(await users(same!.secretKey)).toEqual(['u1']);
      expect(await users(other!.secretKey)).toEqual(['u1', 'u9']);
    } finally {
      await t.close();
    }
  }, 180_000);
});

describe.skipIf(citusSkipReason !== undefined)('the demo load on Citus', () => {
  it('loads one project’s demo without a query that fans out, and its figures answer', async () => {
    // createTestApp's Citus database fails any fanned-out query (FAN_OUT_FAILS).
    const t = await createTestApp('postgres');
    try {
      const data = generateDemoData({ accounts: 4, days: 20 });
      await loadDemoEvents(t.app.store.db, t.app.changeTracker, t.project.projectId, data.events);
      const stored = await t.app.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', t.project.projectId).executeTakeFirstOrThrow();
      expect(stored.n).toBe(data.events.length);
      const scores = await t.app.inject({ method: 'GET', url: '/v1/scores/accounts?limit=10', headers: { authorization: `Bearer ${t.project.secretKey}` } });
      expect(scores.statusCode, scores.body).toBe(200);
      expect(scores.json().items.length).toBe(4);
    } finally {
      await t.close();
    }
  }, 180_000);
});

// Run with the Citus-path suites only (TEST_CITUS_URL), since it starts three servers of its own.
const clusterSkip = citusSkipReason ?? citusClusterSkipReason();
describe.skipIf(clusterSkip !== undefined)('a Citus worker stopped and started under load', () => {
  let cluster: CitusCluster;
  let app: FastifyInstance;
  let writeKey: string;
  let projectId: string;

  beforeAll(async () => {
    cluster = await startCitusCluster();
    app = await buildApp(testConfig({ kind: 'postgres', url: cluster.url, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });
    ({ writeKey, projectId } = await createProject(app.store.db, { name: 'Outage' }));
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    cluster?.destroy();
  });

  it('answers 503 + Retry-After while the project’s shard is unreachable, and keeps every acknowledged event exactly once', async () => {
    const [{ port }] = (await app.store.pool.query<{ port: number }>(
      `select nodeport as port from citus_shards where table_name = 'events'::regclass and shardid = get_shard_id_for_distribution_column('events', $1::text)`,
      [projectId],
    )).rows as [{ port: number }];
    const worker = cluster.workers.find((node) => Number(new URL(node.url).port) === port)!;
    const statuses = new Map<number, number>();
    const acknowledged = new Set<string>();
    let sawUnavailable = false;

    const sendUntilStored = async (batch: Array<Record<string, unknown>>) => {
      for (let attempt = 0; attempt < 300; attempt++) {
        const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch } });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        if (response.statusCode === 200) {
          for (const event of batch) acknowledged.add(event['messageId'] as string);
          return;
        }
        expect(response.statusCode, response.body).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.json().error).toBe('storage_unavailable');
        sawUnavailable = true;
        await sleep(100);
      }
      throw new Error('batch never stored');
    };
    const sender = async (name: string) => {
      for (let i = 0; i < 30; i++) {
        await sendUntilStored(Array.from({ length: 20 }, () => ({ type: 'track', event: 'Report Created', userId: `${name}-${i % 5}`, messageId: randomUUID() })));
      }
    };
    const outage = (async () => {
      await sleep(300);
      worker.stop();
      await sleep(2_000);
      worker.start();
    })();
    await Promise.all([sender('a'), sender('b'), sender('c'), outage]);

    expect(sawUnavailable, `statuses: ${JSON.stringify([...statuses])}`).toBe(true);
    const stored = await app.store.db.selectFrom('events').select('message_id').where('project_id', '=', projectId).execute();
    expect(stored.length).toBe(acknowledged.size);
    expect(new Set(stored.map((row) => row.message_id))).toEqual(acknowledged);
    const [{ count }] = (await app.store.pool.query<{ count: number }>('select sum(count)::int as count from user_day_events where project_id = $1', [projectId])).rows as [{ count: number }];
    expect(count).toBe(acknowledged.size);
  }, 180_000);
});

if (citusSkipReason) describe.skip(`Citus (${citusSkipReason})`, () => it('runs on a Citus cluster', () => {}));
if (clusterSkip && !citusSkipReason) describe.skip(`a private Citus cluster (${clusterSkip})`, () => it('runs on a private Citus cluster', () => {}));
