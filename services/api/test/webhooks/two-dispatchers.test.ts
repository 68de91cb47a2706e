import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { enqueueWebhookMessages } from '../../src/webhooks/outbox.ts';
import { citusTestUrl } from '../support/citus-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { testConfig } from '../support/test-app.ts';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two instances share one Postgres, or one Citus coordinator (PGlite has one process by design).
describe.skipIf(!process.env['TEST_DATABASE_URL'] && !citusTestUrl)('two dispatchers on one Postgres', () => {
  let database: TestDatabase;
  let apps: FastifyInstance[] = [];
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // Each answer takes a while, so a second sender of the same delivery would overlap the first.
    receiver = await startReceiver(() => ({ status: 200, delayMs: 30 }));
    const settings = { dispatch: true, allowPrivate: true, pollMs: 20, timeoutMs: 5_000, retryScale: 0.0002 };
    apps = await Promise.all([0, 1].map(() => buildApp(testConfig(database.config, { webhooks: settings }), { logger: pino({ level: 'silent' }) })));
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await receiver?.close();
    await database?.drop();
  });

  it('never sends one delivery twice at once, and sends each one', async () => {
    const [first] = apps;
    const project = await createProject(first!.store.db, { name: 'Shared' });
    const created = await first!.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${project.secretKey}` }, payload: { url: receiver.url, events: ['segment.entered'] } });
    expect(created.statusCode, created.body).toBe(201);
    const ids = Array.from({ length: 300 }, (_, i) => `msg_tr_${i}`);
    // Enqueued in small transactions while both dispatchers poll, as transitions arrive.
    for (let i = 0; i < ids.length; i += 20) {
      await first!.store.db.transaction().execute((trx) =>
        enqueueWebhookMessages(trx, project.projectId, ids.slice(i, i + 20).map((messageId) => ({ messageId, type: 'segment.entered' as const, segment: 'dormant', data: { messageId }, at: new Date() }))),
      );
      await sleep(5);
    }
    await receiver.waitFor(ids.length, () => true, 60_000);
    await sleep(300);
    expect(receiver.maxConcurrentPerId()).toBe(1);
    const perId = new Map<string, number>();
    for (const request of receiver.received) perId.set(String(request.headers['webhook-id']), (perId.get(String(request.headers['webhook-id'])) ?? 0) + 1);
    expect([...perId.keys()].sort()).toEqual([...ids].sort());
    // Every answer was a 200 within the lease: nothing was sent twice at all.
    expect([...perId.values()].every((count) => count === 1)).toBe(true);
  });
});
