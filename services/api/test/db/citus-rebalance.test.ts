/**
 * Adding a worker to a Citus cluster that holds data (docs/scale-out.md, "Adding a worker"): the
 * rebalancer moves shard groups to the new worker while ingestion goes on, every figure of the
 * projects it moved and of those it left answers as before, and no acknowledged event is lost or
 * stored twice. On a private cluster of its own (it changes the topology), so it runs with the
 * Citus-path suites only (TEST_CITUS_URL), and skips, saying why, where Citus is not installed.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { citusSkipReason } from '../support/citus-database.ts';
import { citusClusterSkipReason, startCitusCluster, type CitusCluster } from '../support/citus-cluster.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { routeAnswers } from '../support/route-answers.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
// By shard count, so the plan depends on the placements only (not on the sizes the data gives).
const STRATEGY = 'by_shard_count';

const clusterSkip = citusSkipReason ?? citusClusterSkipReason();
describe.skipIf(clusterSkip !== undefined)('adding a worker and rebalancing while ingestion goes on', () => {
  let cluster: CitusCluster;
  let app: FastifyInstance;
  const start = () => buildApp(testConfig({ kind: 'postgres', url: cluster.url, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });

  beforeAll(async () => {
    cluster = await startCitusCluster();
    app = await start();
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    cluster?.destroy();
  });

  it('moves shard groups to the new worker with every figure the same and every acknowledged event stored once', async () => {
    const rows = async <T>(text: string, values: unknown[] = []) => (await app.store.pool.query(text, values)).rows as T[];
    const shardOf = async (projectId: string) => (await rows<{ shard: string }>(`select get_shard_id_for_distribution_column('events', $1::text)::text as shard`, [projectId]))[0]!.shard;
    const nodeOf = async (projectId: string) =>
      (await rows<{ port: number }>(`select nodeport as port from citus_shards where table_name = 'events'::regclass and shardid = get_shard_id_for_distribution_column('events', $1::text)`, [projectId]))[0]!.port;

    // The new worker holds nothing until the rebalancer runs; its plan names the shards to move.
    const added = await cluster.addWorker();
    const addedPort = Number(new URL(added.url).port);
    const plan = await rows<{ shardid: string; targetport: number }>(`select shardid::text, targetport from get_rebalance_table_shards_plan(rebalance_strategy => $1) where table_name = 'events'::regclass`, [STRATEGY]);
    expect(plan.length).toBeGreaterThan(0);
    const moving = new Set(plan.map((move) => move.shardid));

    // Projects until one of each kind: moved and loaded (a), left and loaded (b), moved and
    // ingesting during the move (c).
    const found: { a?: ProjectKeys; b?: ProjectKeys; c?: ProjectKeys } = {};
    while (!found.a || !found.b || !found.c) {
      const keys = await createProject(app.store.db, { name: 'Rebalanced' });
      const moves = moving.has(await shardOf(keys.projectId));
      if (moves && !found.a) found.a = keys;
      else if (moves && !found.c) found.c = keys;
      else if (!moves && !found.b) found.b = keys;
    }
    const { a, b, c } = found as Required<typeof found>;
    const loaded = [a, b].map((keys, i) => {
      const data = generateDataset({ seed: 21 + i, asOf: yesterday, days: 30, accounts: 3 });
      return { keys, data, accountIds: [...new Set(data.events.flatMap((event) => (event.type === 'group' && event.groupId ? [event.groupId] : [])))] };
    });
    for (const { keys, data } of loaded) await ingestEvents(app, keys.writeKey, data.events, { batchSize: 200, seed: 1 });
    const before = [];
    for (const { keys, accountIds } of loaded) before.push(await routeAnswers(app, keys.secretKey, accountIds, yesterday));
    const nodesBefore = { a: await nodeOf(a.projectId), b: await nodeOf(b.projectId), c: await nodeOf(c.projectId) };
    expect([nodesBefore.a, nodesBefore.c]).not.toContain(addedPort);

    // Ingestion into c throughout the move: a 503 is allowed (retried), a 200 must never be lost.
    const acknowledged = new Set<string>();
    const statuses = new Map<number, number>();
    let rebalancing = true;
    let duringMove = 0;
    const sender = async (name: string) => {
      for (let i = 0; rebalancing || i < 5; i++) {
        const batch = Array.from({ length: 20 }, () => ({ type: 'track', event: 'Report Created', userId: `${name}-${i % 7}`, messageId: randomUUID() }));
        for (;;) {
          const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(c.writeKey) }, payload: { batch } });
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode === 200) {
            for (const event of batch) acknowledged.add(event.messageId);
            if (rebalancing) duringMove += 1;
            break;
          }
          expect(response.statusCode, response.body).toBe(503);
          await sleep(100);
        }
      }
    };
    const rebalance = (async () => {
      await sleep(200);
      await rows(`select citus_rebalance_start(rebalance_strategy => $1)`, [STRATEGY]);
      // Polled, not citus_rebalance_wait(): that is one statement, which the pool's 30 s query
      // timeout cut on a busy machine (CI runs two Citus files at once) while the moves went on.
      for (const deadline = Date.now() + 180_000; ; await sleep(250)) {
        const [job] = await rows<{ state: string }>('select state::text from citus_rebalance_status() order by job_id desc limit 1');
        if (job && ['finished', 'failed', 'cancelled'].includes(job.state)) break;
        if (Date.now() > deadline) throw new Error(`the rebalance is still ${job?.state ?? 'unknown'} after 180 s`);
      }
      rebalancing = false;
    })();
    await Promise.all([sender('x'), sender('y'), rebalance]);

    const [status] = await rows<{ state: string }>('select state::text from citus_rebalance_status() order by job_id desc limit 1');
    expect(status!.state).toBe('finished');
    expect(duringMove, `statuses: ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
    // Moved as planned: a and c now on the new worker, b where it was.
    expect(await nodeOf(a.projectId)).toBe(addedPort);
    expect(await nodeOf(c.projectId)).toBe(addedPort);
    expect(await nodeOf(b.projectId)).toBe(nodesBefore.b);

    const stored = await app.store.db.selectFrom('events').select('message_id').where('project_id', '=', c.projectId).execute();
    expect(stored.length).toBe(acknowledged.size);
    expect(new Set(stored.map((row) => row.message_id))).toEqual(acknowledged);
    const [{ count }] = await rows<{ count: number }>('select sum(count)::int as count from user_day_events where project_id = $1', [c.projectId]) as [{ count: number }];
    expect(count).toBe(acknowledged.size);

    // A new service (empty figure cache) answers every figure of a and b as before the move.
    await app.close();
    app = await start();
    for (const [i, { keys, accountIds }] of loaded.entries()) expect(await routeAnswers(app, keys.secretKey, accountIds, yesterday)).toEqual(before[i]);
  }, 300_000);
});

if (clusterSkip) describe.skip(`adding a Citus worker (${clusterSkip})`, () => it('runs on a private Citus cluster', () => {}));
