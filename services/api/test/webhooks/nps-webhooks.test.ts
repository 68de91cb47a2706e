import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { npsWebhookId } from '../../src/derived/nps-webhooks.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testDatabaseKinds)('nps.response webhooks on %s', (kind) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await createTestApp(kind, { webhooks: { dispatch: true, allowPrivate: true, pollMs: 50, retryScale: 0.0002, timeoutMs: 2_000 } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const send = (batch: object[]) => t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(t.project.writeKey) }, payload: { batch } });

  it('sends an answer stored by ingestion to the endpoints whose category filter takes it, once per answer', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { url: receiver.url, events: ['nps.response'], npsCategories: ['detractor', 'passive'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { secret } = created.json();
    const batch = [
      { type: 'track', event: '$nps_response', userId: 'u1', messageId: 'nps-1', timestamp: '2026-12-05T09:00:00Z', properties: { score: 3, comment: 'Exports are slow', accountId: 'acme' } },
      { type: 'track', event: '$nps_response', userId: 'u2', messageId: 'nps-2', properties: { score: 10 } },
      { type: 'track', event: '$nps_response', userId: 'u3', messageId: 'nps-3', properties: { score: 8 } },
      { type: 'track', event: 'Report Created', userId: 'u1', messageId: 'other-1' },
    ];
    expect((await send(batch)).statusCode).toBe(200);
    const requests = await receiver.waitFor(2);
    const byUser = new Map(requests.map((request) => [JSON.parse(request.body).data.userId as string, request]));
    const detractor = byUser.get('u1')!;
    expect(detractor.headers['webhook-id']).toBe(npsWebhookId(t.project.projectId, 'nps-1'));
    expect(new Webhook(secret).verify(detractor.body, {
      'webhook-id': String(detractor.headers['webhook-id']),
      'webhook-timestamp': String(detractor.headers['webhook-timestamp']),
      'webhook-signature': String(detractor.headers['webhook-signature']),
    })).toEqual({ type: 'nps.response', timestamp: '2026-12-05T09:00:00.000Z', data: { userId: 'u1', accountId: 'acme', score: 3, category: 'detractor', comment: 'Exports are slow' } });
    expect(JSON.parse(byUser.get('u3')!.body).data).toEqual({ userId: 'u3', accountId: null, score: 8, category: 'passive' });
    expect(byUser.has('u2')).toBe(false);

    // The same batch again (an SDK retry): stored once, sent once.
    expect((await send(batch)).json()).toMatchObject({ duplicates: 4 });
    await sleep(400);
    expect(receiver.received).toHaveLength(2);
  });
});
