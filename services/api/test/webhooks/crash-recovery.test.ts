import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { enqueueWebhookMessages } from '../../src/webhooks/outbox.ts';
import { canRunPostgresCluster, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { testConfig } from '../support/test-app.ts';
import { startReceiver, type Answer, type WebhookReceiver } from '../support/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A private Postgres, because this test restarts it; `uptake serve` as a real process, because it is killed with SIGKILL.
describe.skipIf(!canRunPostgresCluster())('webhook deliveries across a SIGKILL of uptake and a Postgres restart', () => {
  let cluster: PostgresCluster;
  let control: FastifyInstance;
  let project: ProjectKeys;
  let receiver: WebhookReceiver;
  let server: ServeProcess | undefined;
  let hold = true;
  const released: Array<() => void> = [];

  beforeAll(async () => {
    cluster = await startPostgresCluster({ fsync: false });
    // The test's own view of the database: no dispatcher, it only enqueues and reads.
    control = await buildApp(testConfig({ kind: 'postgres', url: cluster.url, poolSize: 3, queryTimeoutMs: 30_000 }, { webhooks: { allowPrivate: true } }), { logger: pino({ level: 'silent' }) });
    project = await createProject(control.store.db, { name: 'Crash' });
    // While `hold`, requests get no answer: the delivery is mid-flight when the process dies.
    receiver = await startReceiver(() => (hold ? new Promise<Answer>((resolve) => released.push(() => resolve({ status: 200 }))) : { status: 200 }));
  }, 120_000);
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await control?.close();
    await receiver?.close();
    cluster?.destroy();
  });

  const serve = () =>
    startServeProcess({
      DATABASE_URL: cluster.url,
      UPTAKE_WEBHOOK_ALLOW_PRIVATE: '1',
      UPTAKE_WEBHOOK_POLL_MS: '50',
      UPTAKE_WEBHOOK_TIMEOUT_MS: '2000',
      UPTAKE_WEBHOOK_RETRY_SCALE: '0.0002',
      UPTAKE_WARM_FIGURES: '0',
      LOG_LEVEL: 'silent',
    });
  const enqueue = (ids: string[]) =>
    control.store.db.transaction().execute((trx) =>
      enqueueWebhookMessages(trx, project.projectId, ids.map((messageId) => ({ messageId, type: 'segment.entered' as const, segment: 'dormant', data: { messageId }, at: new Date() }))),
    );
  /** Reads until every delivery is delivered; the database may be coming back meanwhile. */
  const allDelivered = async (count: number, timeoutMs: number) => {
    const started = Date.now();
    for (;;) {
      try {
        const rows = await control.store.db.selectFrom('webhook_deliveries').select(['message_id', 'status']).execute();
        if (rows.length === count && rows.every((row) => row.status === 'delivered')) return rows;
      } catch {
        // Postgres restarting: read again.
      }
      if (Date.now() - started > timeoutMs) throw new Error(`not every delivery delivered within ${timeoutMs} ms`);
      await sleep(100);
    }
  };

  it('loses no delivery', async () => {
    const created = await control.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${project.secretKey}` }, payload: { url: receiver.url, events: ['segment.entered'] } });
    expect(created.statusCode, created.body).toBe(201);
    const firstIds = Array.from({ length: 40 }, (_, i) => `msg_tr_a${i}`);
    await enqueue(firstIds);

    server = await serve();
    // Mid-delivery: requests reached the receiver and wait for their answer.
    await receiver.waitFor(1);
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server!.child.once('exit', resolve));
    // Postgres goes down and comes back while uptake is down.
    cluster.stop();
    cluster.start();
    hold = false;
    for (const release of released.splice(0)) release();

    server = await serve();
    await allDelivered(firstIds.length, 60_000);

    // Postgres restarted under a running dispatcher: it carries on.
    const secondIds = Array.from({ length: 20 }, (_, i) => `msg_tr_b${i}`);
    await enqueue(secondIds);
    cluster.stop();
    await sleep(500);
    cluster.start();
    await allDelivered(firstIds.length + secondIds.length, 60_000);
    await server.stop();

    const receivedIds = new Set(receiver.received.map((request) => String(request.headers['webhook-id'])));
    expect([...receivedIds].sort()).toEqual([...firstIds, ...secondIds].sort());
  }, 180_000);
});
