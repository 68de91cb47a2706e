import { networkInterfaces } from 'node:os';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';
import { isLoopback, metricsAccess } from '../../src/metrics/metrics-access.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { userHash } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample of a scrape (`name{labels} value`), labels matched as given; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]\w*=")/);
    if (wanted.every((pair) => present.includes(pair))) total = (total ?? 0) + Number(match[3]);
  }
  return total ?? 0;
}

/** An IPv4 address of this machine that is not loopback, to connect from a non-loopback socket; undefined when there is none. */
function outsideAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe.each(testDatabaseKinds)('GET /metrics on %s', (kind) => {
  let t: TestApp;
  let url: string;
  let port: number;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp(kind, {
      metricsToken: TOKEN,
      // The third widget read of a project in a long while is refused (429), to count a refusal.
      widgetRateLimitPerSecond: 0.001,
      widgetRateLimitBurst: 2,
      webhooks: { dispatch: true, allowPrivate: true, pollMs: 50, timeoutMs: 2_000 },
    });
    receiver = await startReceiver();
    // Every address: loopback and, where the machine has one, its own non-loopback address.
    url = await t.app.listen({ host: '0.0.0.0', port: 0 });
    port = Number(new URL(url).port);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const post = (path: string, body: unknown, authorization = basicAuth(t.project.writeKey)) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  const get = (path: string, authorization: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization } });

  it('counts real traffic: batches accepted and rejected, a widget decision, a figure computed, a refusal, a webhook delivered', async () => {
    const before = await scrape();

    const accepted = await post('/v1/batch', {
      batch: [
        { type: 'track', event: 'Report Created', userId: 'u1', messageId: 'm-1', context: { groupId: 'acme' } },
        { type: 'track', event: 'Report Created', userId: 'u2', messageId: 'm-2' },
        // A duplicate within the batch, and an invalid event (a score out of range).
        { type: 'track', event: 'Report Created', userId: 'u2', messageId: 'm-2' },
        { type: 'track', event: '$nps_response', userId: 'u1', messageId: 'm-3', properties: { score: 11 } },
      ],
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ accepted: 2, duplicates: 1, rejected: [{ index: 3 }] });
    // Refused whole: an unknown key, then a body that is not JSON.
    expect((await post('/v1/batch', { batch: [] }, 'Bearer wk_unknown')).status).toBe(401);
    const broken = await fetch(`http://127.0.0.1:${port}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicAuth(t.project.writeKey) }, body: '{' });
    expect(broken.status).toBe(400);

    // A widget decision, then a progress answer, then the widget limit's refusal.
    const hash = userHash(t.project.identitySecret, 'u1');
    const nps = await get(`/v1/widgets/nps?userId=u1&userHash=${hash}`, `Bearer ${t.project.writeKey}`);
    expect(nps.status).toBe(200);
    const { reason } = (await nps.json()) as { reason: string };
    expect((await get(`/v1/widgets/progress?userId=u1&userHash=${hash}`, `Bearer ${t.project.writeKey}`)).status).toBe(200);
    expect((await get(`/v1/widgets/nps?userId=u1&userHash=${hash}`, `Bearer ${t.project.writeKey}`)).status).toBe(429);

    // A query figure: an account's activity series, computed once and then served from the cache
    // (the project's series is read from kept counts, never cached).
    for (let i = 0; i < 2; i++) expect((await get('/v1/metrics/active?accountId=acme', `Bearer ${t.project.secretKey}`)).status).toBe(200);

    // A webhook: an NPS answer stored by ingestion is delivered to a receiver.
    const endpoint = await post('/v1/webhooks', { url: receiver.url, events: ['nps.response'] }, `Bearer ${t.project.secretKey}`);
    expect(endpoint.status).toBe(201);
    expect((await post('/v1/batch', { batch: [{ type: 'track', event: '$nps_response', userId: 'u1', messageId: 'm-4', properties: { score: 3 } }] })).status).toBe(200);
    await receiver.waitFor(1);
    await until(async () => sample(await scrape(), 'uptake_webhook_attempts_total', { outcome: 'delivered' }) === 1, 'the delivery to be counted');

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('uptake_ingestion_requests_total', { outcome: 'accepted', reason: 'ok' })).toBe(2);
    expect(moved('uptake_ingestion_requests_total', { outcome: 'refused', reason: 'invalid_write_key' })).toBe(1);
    expect(moved('uptake_ingestion_requests_total', { outcome: 'refused', reason: 'invalid_json' })).toBe(1);
    expect(moved('uptake_ingestion_events_total', { outcome: 'accepted' })).toBe(3);
    expect(moved('uptake_ingestion_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(moved('uptake_ingestion_events_total', { outcome: 'rejected', reason: 'invalid_event' })).toBe(1);
    expect(moved('uptake_ingestion_ack_seconds_count')).toBe(2);
    expect(moved('uptake_ingestion_commit_events_count')).toBeGreaterThanOrEqual(2);
    // The first batch: two new events and the rejected one's warning (the repeat is dropped before); the second: one event.
    expect(moved('uptake_ingestion_commit_events_sum')).toBe(3 + 1);
    expect(sample(after, 'uptake_ingestion_queue_requests')).toBe(0);
    expect(moved('uptake_widget_nps_decisions_total', { reason })).toBe(1);
    expect(moved('uptake_widget_progress_answers_total')).toBe(1);
    expect(moved('uptake_rate_limit_refusals_total', { limit: 'widgets' })).toBe(1);
    expect(moved('uptake_figure_compute_seconds_count', { cache: 'query', outcome: 'ok' })).toBeGreaterThan(0);
    expect(moved('uptake_figure_lookups_total', { cache: 'query', figure: 'active', result: 'computed' })).toBe(1);
    expect(moved('uptake_figure_lookups_total', { cache: 'query', figure: 'active', result: 'fresh' })).toBe(1);
    expect(sample(after, 'uptake_figure_cache_bytes', { cache: 'query' })).toBeGreaterThan(0);
    expect(moved('uptake_webhook_attempts_total', { outcome: 'delivered' })).toBe(1);
    expect(moved('uptake_webhook_delivery_lag_seconds_count')).toBe(1);
    expect(sample(after, 'uptake_webhook_backlog', { state: 'due' })).toBe(0);
    expect(sample(after, 'uptake_db_pool_max', { database: kind })).toBe(kind === 'pglite' ? 1 : 10);
    expect(after).toMatch(/^uptake_db_pool_connections\{state="idle"\} \d+$/m);
    // Node's own metrics, prefixed, in the same registry.
    expect(after).toMatch(/^uptake_process_cpu_user_seconds_total \d/m);
  });

  it('answers loopback clients and, from elsewhere, only the operator token', async () => {
    const outside = outsideAddress();
    if (outside === undefined) {
      // No non-loopback address to connect from: the same decision through inject's socket address.
      const refused = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' });
      expect(refused.statusCode).toBe(401);
      return;
    }
    expect(isLoopback(outside)).toBe(false);
    const from = (headers: Record<string, string> = {}) => fetch(`http://${outside}:${port}/metrics`, { headers });
    const none = await from();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="uptake-metrics"');
    expect(await none.json()).toEqual({ error: 'missing_metrics_token', message: expect.stringContaining('Authorization: Bearer <UPTAKE_METRICS_TOKEN>'), path: 'authorization' });
    const wrong = await from({ authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_metrics_token');
    // X-Forwarded-For never makes a client local, whatever it says.
    expect((await from({ 'x-forwarded-for': '127.0.0.1' })).status).toBe(401);
    const right = await from({ authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('uptake_ingestion_requests_total');

    // A reverse proxy on this machine connects from loopback: what it forwards is not local.
    const proxied = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    expect(proxied.status).toBe(401);
  });

  it('is an operator route: not in the public OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).not.toContain('/metrics');
  });
});

describe.each(testDatabaseKinds)('GET /metrics without UPTAKE_METRICS_TOKEN on %s', (kind) => {
  it('is answered to loopback only, and each app has its own registry', async () => {
    const first = await createTestApp(kind);
    const second = await createTestApp(kind);
    try {
      const outside = await first.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.50' });
      expect(outside.statusCode).toBe(403);
      expect(outside.json()).toEqual({ error: 'metrics_loopback_only', message: expect.stringContaining('set UPTAKE_METRICS_TOKEN') });
      // A token sent to an app that has none configured opens nothing.
      expect((await first.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.50', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(403);

      const batch = { batch: [{ type: 'track', event: 'Report Created', userId: 'u1' }] };
      const sent = await first.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(first.project.writeKey) }, payload: batch });
      expect(sent.statusCode).toBe(200);
      const firstText = (await first.app.inject({ method: 'GET', url: '/metrics' })).body;
      const secondText = (await second.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '::1' })).body;
      expect(sample(firstText, 'uptake_ingestion_requests_total', { outcome: 'accepted' })).toBe(1);
      expect(sample(secondText, 'uptake_ingestion_requests_total', { outcome: 'accepted' })).toBe(0);
      expect(globalRegistry.getSingleMetric('uptake_ingestion_requests_total')).toBeUndefined();
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('who may scrape (metricsAccess)', () => {
  const ask = (remoteAddress: string | undefined, authorization?: string, forwarded = false) => metricsAccess({ remoteAddress, forwarded, authorization }, TOKEN);

  it('takes loopback from the socket address only', () => {
    for (const address of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(ask(address)).toEqual({ allowed: true, why: 'loopback' });
    for (const address of ['192.0.2.2', '::ffff:192.0.2.2', '10.0.0.1', 'fe80::1', '::2', '128.0.0.1', undefined, 'localhost']) {
      expect(ask(address)).toMatchObject({ allowed: false, status: 401, error: 'missing_metrics_token' });
    }
    expect(ask('127.0.0.1', undefined, true)).toMatchObject({ allowed: false, error: 'missing_metrics_token' });
  });

  it('compares the token exactly', () => {
    expect(ask('192.0.2.2', `Bearer ${TOKEN}`)).toEqual({ allowed: true, why: 'token' });
    expect(ask('192.0.2.2', `bearer   ${TOKEN}  `)).toEqual({ allowed: true, why: 'token' });
    for (const header of [`Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}0`, `Basic ${TOKEN}`, TOKEN, 'Bearer', `Bearer ${TOKEN.toUpperCase()}`]) {
      expect(ask('192.0.2.2', header).allowed, header).toBe(false);
    }
    expect(metricsAccess({ remoteAddress: '192.0.2.2', forwarded: false, authorization: `Bearer ${TOKEN}` }, undefined)).toMatchObject({ status: 403, error: 'metrics_loopback_only' });
  });
});

describe('figure cache metrics', () => {
  it('times computations (failed ones too) and tells fresh, stale (with its age) and computed serves apart', async () => {
    const metrics = createMetrics();
    const changes = createChangeTracker();
    const cache = createFigureCache({ versions: changes, maxStalenessMs: 60_000, metrics: metrics.figures('query') });
    const slow = (value: number) => async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return value;
    };
    expect(await cache.get('p1', 'scores:1:2026-12-05', slow(1))).toBe(1);
    expect(await cache.get('p1', 'scores:1:2026-12-05', slow(2))).toBe(1);
    changes.markProjectChanged('p1');
    // The stale age counts from the change.
    await new Promise((resolve) => setTimeout(resolve, 25));
    // Changed data within the allowance: the old figure is served, a refresh starts.
    expect(await cache.get('p1', 'scores:1:2026-12-05', slow(3))).toBe(1);
    await expect(cache.get('p1', 'nps:x', () => Promise.reject(new Error('no database')))).rejects.toThrow('no database');
    await new Promise((resolve) => setTimeout(resolve, 60));

    const text = await metrics.registry.metrics();
    expect(sample(text, 'uptake_figure_lookups_total', { cache: 'query', figure: 'scores', result: 'computed' })).toBe(1);
    expect(sample(text, 'uptake_figure_lookups_total', { cache: 'query', figure: 'scores', result: 'fresh' })).toBe(1);
    expect(sample(text, 'uptake_figure_lookups_total', { cache: 'query', figure: 'scores', result: 'stale' })).toBe(1);
    expect(sample(text, 'uptake_figure_stale_age_seconds_count', { cache: 'query' })).toBe(1);
    expect(sample(text, 'uptake_figure_stale_age_seconds_sum', { cache: 'query' })).toBeGreaterThanOrEqual(0.02);
    // The first computation and the background refresh.
    expect(sample(text, 'uptake_figure_compute_seconds_count', { cache: 'query', figure: 'scores', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'uptake_figure_compute_seconds_sum', { cache: 'query', figure: 'scores', outcome: 'ok' })).toBeGreaterThanOrEqual(0.04);
    expect(sample(text, 'uptake_figure_compute_seconds_count', { cache: 'query', figure: 'nps', outcome: 'error' })).toBe(1);
    expect(sample(text, 'uptake_figure_cache_bytes', { cache: 'query' })).toBe(cache.accountedBytes());
  });
});
