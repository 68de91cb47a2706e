import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUptakeClient, verifyWebhook, WebhookVerificationError } from '../src/index.ts';
import { fakeFetch } from './support/fake-fetch.ts';

const host = 'https://uptake.example.com';
const secretKey = 'sk_secret';

describe('webhook methods', () => {
  it('build each /v1/webhooks route with encoded ids', async () => {
    const fake = fakeFetch((request) => (request.method === 'DELETE' ? { status: 204 } : { body: { items: [], nextCursor: null } }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    await client.createWebhook({ url: 'https://crm.acme.io/hook', events: ['segment.entered'], segments: ['low-utilization'] });
    await client.webhooks();
    await client.webhook('wh/1');
    await client.updateWebhook('wh_1', { enabled: true });
    expect(await client.deleteWebhook('wh_1')).toBeUndefined();
    await client.rotateWebhookSecret('wh_1', { overlapHours: 2 });
    await client.webhookDeliveries('wh_1', { status: 'failed', limit: 10 });
    for await (const delivery of client.allWebhookDeliveries('wh_1')) expect(delivery).toBeDefined();
    await client.redeliverWebhook('wh_1', 'msg a');
    await client.testWebhook('wh_1');
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'POST /v1/webhooks',
      'GET /v1/webhooks',
      'GET /v1/webhooks/wh%2F1',
      'PATCH /v1/webhooks/wh_1',
      'DELETE /v1/webhooks/wh_1',
      'POST /v1/webhooks/wh_1/secret/rotate',
      'GET /v1/webhooks/wh_1/deliveries?status=failed&limit=10',
      'GET /v1/webhooks/wh_1/deliveries',
      'POST /v1/webhooks/wh_1/deliveries/msg%20a/redeliver',
      'POST /v1/webhooks/wh_1/test',
    ]);
    expect(fake.requests[0]!.body).toEqual({ url: 'https://crm.acme.io/hook', events: ['segment.entered'], segments: ['low-utilization'] });
    expect(fake.requests[5]!.body).toEqual({ overlapHours: 2 });
    for (const request of fake.requests) expect(request.headers['authorization']).toBe(`Bearer ${secretKey}`);
  });
});

describe('verifyWebhook', () => {
  // Signed here with node:crypto, independently of the client's WebCrypto code.
  const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
  const sign = (secret: string, id: string, timestamp: number, body: string) =>
    `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  const secret = newSecret();
  const body = JSON.stringify({ type: 'segment.entered', timestamp: '2026-12-05T10:00:00.000Z', data: { accountId: 'acme', note: 'ünïcødé ✓' } });
  const now = new Date('2026-12-05T10:00:30Z');
  const timestamp = Math.floor(now.getTime() / 1000) - 30;
  const headers = { 'Webhook-Id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(secret, 'msg_1', timestamp, body) };
  const reason = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'verified';
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookVerificationError);
      return (error as WebhookVerificationError).reason;
    }
  };

  it('answers the payload of a delivery signed with the secret, from a plain object or Headers, text or bytes', async () => {
    expect(await verifyWebhook(secret, headers, body, { now })).toEqual(JSON.parse(body));
    expect(await verifyWebhook(secret, new Headers(headers), new TextEncoder().encode(body), { now })).toEqual(JSON.parse(body));
  });

  it('refuses a tampered body, another id, another secret, missing headers and a stale or future timestamp', async () => {
    expect(await reason(verifyWebhook(secret, headers, body.replace('acme', 'evil'), { now }))).toBe('no_matching_signature');
    expect(await reason(verifyWebhook(secret, { ...headers, 'Webhook-Id': 'msg_2' }, body, { now }))).toBe('no_matching_signature');
    expect(await reason(verifyWebhook(newSecret(), headers, body, { now }))).toBe('no_matching_signature');
    expect(await reason(verifyWebhook(secret, { ...headers, 'webhook-signature': undefined }, body, { now }))).toBe('missing_headers');
    expect(await reason(verifyWebhook(secret, headers, body, { now: new Date(now.getTime() + 6 * 60_000) }))).toBe('timestamp_too_old');
    expect(await reason(verifyWebhook(secret, headers, body, { now: new Date(now.getTime() - 6 * 60_000) }))).toBe('timestamp_too_new');
    expect(await reason(verifyWebhook(secret, headers, body, { now: new Date(now.getTime() + 6 * 60_000), toleranceSeconds: 600 }))).toBe('verified');
    expect(await reason(verifyWebhook(secret, { ...headers, 'webhook-timestamp': '12e3' }, body, { now }))).toBe('bad_timestamp');
    expect(await reason(verifyWebhook('whsec_!!!', headers, body, { now }))).toBe('bad_secret');
  });

  it('accepts any one of several signatures (a secret rotation)', async () => {
    const previous = newSecret();
    const both = { ...headers, 'webhook-signature': `${sign(secret, 'msg_1', timestamp, body)} ${sign(previous, 'msg_1', timestamp, body)}` };
    expect(await reason(verifyWebhook(secret, both, body, { now }))).toBe('verified');
    expect(await reason(verifyWebhook(previous, both, body, { now }))).toBe('verified');
    expect(await reason(verifyWebhook(newSecret(), both, body, { now }))).toBe('no_matching_signature');
  });
});
