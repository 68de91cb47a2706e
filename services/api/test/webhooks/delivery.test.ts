import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '@uptake/client';
import type { Config } from '../../src/config.ts';
import { enqueueWebhookMessages, type WebhookMessage } from '../../src/webhooks/outbox.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { startReceiver, type Received, type WebhookReceiver } from '../support/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const headersOf = (request: Received) => ({
  'webhook-id': String(request.headers['webhook-id']),
  'webhook-timestamp': String(request.headers['webhook-timestamp']),
  'webhook-signature': String(request.headers['webhook-signature']),
});

/** Retry waits of the real schedule × 0.0002: 5 s → 1 ms, 5 min → 60 ms, 30 min → 360 ms, 2 h → 1.4 s. */
const fast: Config['webhooks'] = { dispatch: true, allowPrivate: true, pollMs: 50, retryScale: 0.0002, timeoutMs: 2_000, publicUrl: 'https://uptake.example.com' };

describe.each(testDatabaseKinds)('webhook delivery on %s', (kind) => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    t = await createTestApp(kind, { webhooks: fast });
  });
  afterAll(async () => t?.close());
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const started = await startReceiver(...args);
    receivers.push(started);
    return started;
  };
  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, app: TestApp = t) =>
    app.app.inject({ method, url, headers: { authorization: `Bearer ${app.project.secretKey}` }, ...(payload ? { payload } : {}) });
  const createEndpoint = async (body: object, app: TestApp = t) => {
    const response = await api('POST', '/v1/webhooks', body, app);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; secret: string };
  };
  let counter = 0;
  const message = (overrides: Partial<WebhookMessage> = {}): WebhookMessage => {
    counter += 1;
    return { messageId: `msg_tr_${kind}_${counter}`, type: 'segment.entered', segment: 'low-utilization', data: { segment: 'low-utilization', accountId: 'acme', n: counter }, at: new Date('2026-12-05T10:00:00Z'), ...overrides };
  };
  const enqueue = (messages: WebhookMessage[], app: TestApp = t) => app.app.store.db.transaction().execute((trx) => enqueueWebhookMessages(trx, app.project.projectId, messages));
  const delivery = (endpointId: string, messageId: string, app: TestApp = t) =>
    app.app.store.db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', app.project.projectId).where('endpoint_id', '=', endpointId).where('message_id', '=', messageId).executeTakeFirstOrThrow();
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> => {
    const started = Date.now();
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
      await sleep(50);
    }
  };

  it('signs every delivery as Standard Webhooks says: standardwebhooks verifies it; a tampered body or an old timestamp fails', async () => {
    const hook = await receiver();
    const { id, secret } = await createEndpoint({ url: hook.url, events: ['segment.entered'] });
    const sent = message();
    await enqueue([sent]);
    const [request] = await hook.waitFor(1);
    expect(request!.headers['webhook-id']).toBe(sent.messageId);
    expect(request!.headers['content-type']).toBe('application/json');
    const payload = new Webhook(secret).verify(request!.body, headersOf(request!));
    expect(payload).toEqual({ type: 'segment.entered', timestamp: '2026-12-05T10:00:00.000Z', data: sent.data });
    expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    // The client's verifier agrees, on Node's own request headers.
    expect(await verifyWebhook(secret, request!.headers, request!.body)).toEqual(payload);

    expect(() => new Webhook(secret).verify(request!.body.replace('acme', 'evil'), headersOf(request!))).toThrow(/signature/i);
    expect(() => new Webhook(secret).verify(request!.body, { ...headersOf(request!), 'webhook-id': 'msg_other' })).toThrow(/signature/i);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request!.body, headersOf(request!))).toThrow(/signature/i);
    // Ten minutes later the same request is too old (the tolerance is five).
    vi.useFakeTimers({ now: Date.now() + 10 * 60_000, toFake: ['Date'] });
    expect(() => new Webhook(secret).verify(request!.body, headersOf(request!))).toThrow(/too old/i);
    vi.useRealTimers();

    const row = await until(() => delivery(id, sent.messageId), (value) => value.status === 'delivered');
    expect(row).toMatchObject({ attempts: 1, last_status_code: 200, last_error: null, claimed_until: null });
    expect(row.last_latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('signs with both secrets during a rotation’s overlap, and with the new one alone after it', async () => {
    const hook = await receiver();
    const { id, secret: oldSecret } = await createEndpoint({ url: hook.url, events: ['segment.entered'] });
    const rotated = (await api('POST', `/v1/webhooks/${id}/secret/rotate`, { overlapHours: 1 })).json() as { secret: string };
    await enqueue([message()]);
    const [during] = await hook.waitFor(1);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(during!.body, headersOf(during!))).toBeTruthy();
    expect(new Webhook(oldSecret).verify(during!.body, headersOf(during!))).toBeTruthy();

    const again = (await api('POST', `/v1/webhooks/${id}/secret/rotate`, { overlapHours: 0 })).json() as { secret: string };
    await enqueue([message()]);
    const [, after] = await hook.waitFor(2);
    expect(String(after!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(new Webhook(again.secret).verify(after!.body, headersOf(after!))).toBeTruthy();
    expect(() => new Webhook(rotated.secret).verify(after!.body, headersOf(after!))).toThrow(/signature/i);
  });

  it('retries a receiver that is down, then answers 500, then 429 with Retry-After, until 200: every delivery arrives, each under one webhook-id', async () => {
    // Down first: nothing listens on the port.
    const probe = await startReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const { id } = await createEndpoint({ url: `http://127.0.0.1:${port}/hook`, events: ['segment.entered', 'segment.exited'] });
    const sent = Array.from({ length: 6 }, (_, i) => message({ type: i % 2 ? 'segment.exited' : 'segment.entered' }));
    await enqueue(sent);
    await until(() => delivery(id, sent[0]!.messageId), (row) => row.attempts >= 1);
    expect((await delivery(id, sent[0]!.messageId)).last_error).toMatch(/ECONNREFUSED/);

    const seen = new Map<string, number>();
    const hook = await receiver((request) => {
      const id = String(request.headers['webhook-id']);
      const count = (seen.get(id) ?? 0) + 1;
      seen.set(id, count);
      if (count === 1) return { status: 500 };
      if (count === 2) return { status: 429, headers: { 'retry-after': '1' } };
      return { status: 200 };
    }, port);
    const delivered = await until(
      () => t.app.store.db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', t.project.projectId).where('endpoint_id', '=', id).execute(),
      (rows) => rows.length === sent.length && rows.every((row) => row.status === 'delivered'),
      30_000,
    );
    for (const row of delivered) expect(row.last_status_code).toBe(200);
    // Every message under its own id, each at least three times (500, 429, 200), no other id.
    expect(new Set(hook.received.map((request) => request.headers['webhook-id']))).toEqual(new Set(sent.map((m) => m.messageId)));
    for (const m of sent) {
      const attempts = hook.received.filter((request) => request.headers['webhook-id'] === m.messageId);
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      // The 429 said one second: the next attempt waited for it.
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(900);
      // The same body each time: a retry is the same message.
      expect(new Set(attempts.map((request) => JSON.parse(request.body).data.n)).size).toBe(1);
    }
  });

  it('disables an endpoint that answers 410 Gone, with the reason, and enqueues nothing more for it', async () => {
    const hook = await receiver(() => ({ status: 410 }));
    const { id } = await createEndpoint({ url: hook.url, events: ['segment.entered'] });
    const sent = message();
    await enqueue([sent]);
    const endpoint = await until(async () => (await api('GET', `/v1/webhooks/${id}`)).json(), (value) => value.enabled === false);
    expect(endpoint.disabledReason).toMatch(/410 Gone/);
    expect(endpoint.disabledAt).not.toBeNull();
    expect(await delivery(id, sent.messageId)).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
    await enqueue([message()]);
    expect(await t.app.store.db.selectFrom('webhook_deliveries').select('message_id').where('project_id', '=', t.project.projectId).where('endpoint_id', '=', id).execute()).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
    const enabled = (await api('PATCH', `/v1/webhooks/${id}`, { enabled: true })).json();
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('sends a test message and a redelivery with the same webhook-id; formats Slack messages with the play in words', async () => {
    const hook = await receiver();
    const { id } = await createEndpoint({ url: hook.url, events: ['segment.entered'] });
    const test = (await api('POST', `/v1/webhooks/${id}/test`)).json() as { messageId: string };
    const [first] = await hook.waitFor(1);
    expect(first!.headers['webhook-id']).toBe(test.messageId);
    expect(JSON.parse(first!.body)).toMatchObject({ type: 'webhook.test', data: { endpointId: id } });
    await until(() => delivery(id, test.messageId), (row) => row.status === 'delivered');
    expect((await api('POST', `/v1/webhooks/${id}/deliveries/${test.messageId}/redeliver`)).statusCode).toBe(202);
    const [, second] = await hook.waitFor(2);
    expect(second!.headers['webhook-id']).toBe(test.messageId);
    expect(second!.body).toBe(first!.body);

    const slack = await receiver();
    const { secret } = await createEndpoint({ url: slack.url, format: 'slack', events: ['segment.entered'], segments: ['low-utilization'] });
    // The data a segment transition carries (docs/plays.md).
    const segment = (key: string, name: string, of: string) => ({ key, name, of, builtIn: true });
    await enqueue([
      message({ data: { segment: segment('low-utilization', 'Low utilisation', 'accounts'), accountId: 'acme', day: '2026-12-05', facts: { utilisation: 0.42, seats: 25, activeUsers30d: 10.5 } } }),
      message({ segment: 'dormant', data: { segment: segment('dormant', 'Dormant', 'users'), userId: 'u1', day: '2026-12-05', facts: { lastActive: '2026-11-01' } } }),
    ]);
    const [posted] = await slack.waitFor(1);
    const body = JSON.parse(posted!.body) as { text: string; blocks: Array<{ type: string }> };
    expect(body.text).toContain('acme entered Low utilisation: 42 % of 25 seats active in 30 days. Play: find who has a seat but is not using it; run an enablement session.');
    expect(body.text).toContain('<https://uptake.example.com/dashboard/#/accounts/acme|Open in Uptake>');
    expect(body.blocks[0]!.type).toBe('section');
    // Signed like any delivery; the dormant message is not for this endpoint.
    expect(new Webhook(secret).verify(posted!.body, headersOf(posted!))).toBeTruthy();
    await sleep(300);
    expect(slack.received).toHaveLength(1);
  });

  it('keeps sending to other endpoints while one receiver takes its time', async () => {
    const patient = await createTestApp(kind, { webhooks: { ...fast, timeoutMs: 10_000 } });
    const held: Array<() => void> = [];
    try {
      const slow = await receiver(() => new Promise((resolve) => held.push(() => resolve({ status: 200 }))));
      const quick = await receiver();
      await createEndpoint({ url: slow.url, events: ['segment.exited'] }, patient);
      await createEndpoint({ url: quick.url, events: ['segment.entered'] }, patient);
      await enqueue([message({ type: 'segment.exited' })], patient);
      await slow.waitFor(1);
      // The slow attempt is in flight (up to its 10 s timeout); a new delivery elsewhere goes out meanwhile.
      await enqueue([message()], patient);
      await quick.waitFor(1, () => true, 5_000);
      expect(held).toHaveLength(1);
    } finally {
      for (const release of held) release();
      await patient.close();
    }
  });

  it('checks the target again at send time: a stored private address is never contacted without the allow setting', async () => {
    const guarded = await createTestApp(kind, { webhooks: { ...fast, allowPrivate: false } });
    try {
      const hook = await receiver();
      // As if the name had resolved to a public address when saved, and now resolves to loopback.
      for (const [endpointId, url] of [['wh_literal', hook.url], ['wh_name', hook.url.replace('127.0.0.1', 'localhost')]] as const) {
        await guarded.app.store.db
          .insertInto('webhook_endpoints')
          .values({ project_id: guarded.project.projectId, endpoint_id: endpointId, url, event_types: ['segment.entered'], secret: 'whsec_AAAA', previous_secret: null, previous_secret_expires_at: null, disabled_reason: null, disabled_at: null, failing_since: null, segments: null, nps_categories: null })
          .execute();
      }
      const sent = message();
      await enqueue([sent], guarded);
      for (const endpointId of ['wh_literal', 'wh_name']) {
        const row = await until(() => delivery(endpointId, sent.messageId, guarded), (value) => value.attempts >= 1);
        expect(row.last_error).toMatch(/refused: .*loopback/);
        expect(row.last_status_code).toBeNull();
      }
      expect(hook.received).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it('fails a delivery once the schedule is spent, and disables an endpoint failing for the set days', async () => {
    const harsh = await createTestApp(kind, { webhooks: { ...fast, retryScale: 0.00002, disableAfterDays: 3 / 86_400 } });
    try {
      const hook = await receiver(() => ({ status: 503 }));
      const { id } = await createEndpoint({ url: hook.url, events: ['segment.entered'] }, harsh);
      const sent = message();
      await enqueue([sent], harsh);
      const row = await until(() => delivery(id, sent.messageId, harsh), (value) => value.status === 'failed', 30_000);
      expect(row).toMatchObject({ attempts: 8, last_status_code: 503, last_error: 'HTTP 503' });
      expect(hook.received).toHaveLength(8);
      // Still failing three seconds after the first failure: the next failure disables it.
      await sleep(Math.max(0, Date.parse(String(row.created_at)) + 3_200 - Date.now()));
      await enqueue([message()], harsh);
      const endpoint = await until(async () => (await api('GET', `/v1/webhooks/${id}`, undefined, harsh)).json(), (value) => value.enabled === false, 30_000);
      expect(endpoint.disabledReason).toMatch(/every delivery failed for .* days \(since .*; last: HTTP 503\)/);
      expect(endpoint.failingSince).not.toBeNull();
    } finally {
      await harsh.close();
    }
  });
});
