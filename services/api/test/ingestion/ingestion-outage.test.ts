import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import type { FastifyInstance } from 'fastify';
import { createProject } from '../../src/projects/projects.queries.ts';
import { canRunPostgresCluster, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A private server, because this test stops it: the shared test server must stay up for the others.
describe.skipIf(!canRunPostgresCluster())('Postgres stopped mid-stream', () => {
  let cluster: PostgresCluster;
  let app: FastifyInstance;
  let writeKey: string;
  let projectId: string;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    app = await buildApp(testConfig({ kind: 'postgres', url: cluster.url, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: pino({ level: 'silent' }) });
    ({ writeKey, projectId } = await createProject(app.store.db, { name: 'Outage' }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    cluster?.destroy();
  });

  it('answers 503 + Retry-After while it is down, and after recovery every acknowledged event is stored exactly once', async () => {
    const statuses = new Map<number, number>();
    const acknowledged = new Set<string>();
    let down = false;
    let sawReadyzFail = false;

    // A client like the SDK: send a batch, retry the same batch (same messageIds) until a 200.
    const sendUntilStored = async (batch: Array<Record<string, unknown>>) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const started = Date.now();
        const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch } });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        // Never a hang: the pool gives up connecting after 3 s.
        expect(Date.now() - started).toBeLessThan(10_000);
        if (response.statusCode === 200) {
          for (const event of batch) acknowledged.add(event['messageId'] as string);
          return;
        }
        expect(response.statusCode, response.body).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.json().error).toBe('storage_unavailable');
        await sleep(100);
      }
      throw new Error('batch never stored');
    };

    const sender = async (name: string) => {
      for (let i = 0; i < 40; i++) {
        const batch = Array.from({ length: 25 }, () => ({ type: 'track', event: 'Report Created', userId: `${name}-${i % 7}`, messageId: randomUUID() }));
        await sendUntilStored(batch);
      }
    };
    const outage = async () => {
      await sleep(300);
      cluster.stop();
      down = true;
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      sawReadyzFail = ready.statusCode === 503;
      await sleep(1500);
      cluster.start();
      down = false;
    };

    await Promise.all([sender('a'), sender('b'), sender('c'), sender('d'), outage()]);
    expect(down).toBe(false);
    expect(sawReadyzFail).toBe(true);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].sort()).toEqual([200, 503]);

    const rows = await app.store.db.selectFrom('events').select('message_id').where('project_id', '=', projectId).execute();
    expect(rows).toHaveLength(4 * 40 * 25);
    expect(new Set(rows.map((row) => row.message_id))).toEqual(acknowledged);
  });
});
