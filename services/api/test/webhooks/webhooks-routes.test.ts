import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_LIMITS } from '@uptake/protocol';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDatabaseKinds)('/v1/webhooks on %s', (kind) => {
  let t: TestApp;
  let guarded: TestApp;
  beforeAll(async () => {
    // No dispatcher: these tests read what the routes store.
    t = await createTestApp(kind, { webhooks: { allowPrivate: true } });
    // The guard as shipped: private targets refused.
    guarded = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
    await guarded?.close();
  });

  const call = (app: TestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, secretKey = app.project.secretKey) =>
    app.app.inject({ method, url, headers: { authorization: `Bearer ${secretKey}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('makes an endpoint, shows its whsec_ secret once, lists, reads, changes and deletes it', async () => {
    const created = await call(t, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['segment.entered', 'segment.entered'], segments: ['low-utilization'], description: 'CS alerts' });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(body).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['segment.entered'], segments: ['low-utilization'], npsCategories: null, format: 'standard', enabled: true, disabledReason: null, description: 'CS alerts' });

    const read = await call(t, 'GET', `/v1/webhooks/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty('secret');
    expect(JSON.stringify((await call(t, 'GET', '/v1/webhooks')).json())).not.toContain(body.secret);
    expect((await call(t, 'GET', '/v1/webhooks')).json().webhooks.map((w: { id: string }) => w.id)).toContain(body.id);

    const patched = await call(t, 'PATCH', `/v1/webhooks/${body.id}`, { format: 'slack', events: ['nps.response'], npsCategories: ['detractor'], enabled: false });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ format: 'slack', events: ['nps.response'], npsCategories: ['detractor'], enabled: false, disabledReason: 'disabled through the API' });
    const enabled = await call(t, 'PATCH', `/v1/webhooks/${body.id}`, { enabled: true });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });

    expect((await call(t, 'DELETE', `/v1/webhooks/${body.id}`)).statusCode).toBe(204);
    expect((await call(t, 'GET', `/v1/webhooks/${body.id}`)).json()).toMatchObject({ error: 'webhook_not_found' });
    expect((await call(t, 'DELETE', `/v1/webhooks/${body.id}`)).statusCode).toBe(404);
  });

  it('answers 400 naming the field for a bad body', async () => {
    const cases: Array<[unknown, string]> = [
      [{ events: ['segment.entered'] }, 'url'],
      [{ url: 'not a url', events: ['segment.entered'] }, 'url'],
      [{ url: 'ftp://example.com/hook', events: ['segment.entered'] }, 'url'],
      [{ url: 'https://example.com/hook', events: [] }, 'events'],
      [{ url: 'https://example.com/hook', events: ['segment.deleted'] }, 'events[0]'],
      [{ url: 'https://example.com/hook', events: ['nps.response'], npsCategories: ['fan'] }, 'npsCategories[0]'],
      [{ url: 'https://example.com/hook', events: ['segment.entered'], format: 'teams' }, 'format'],
      [{ url: 'https://example.com/hook', events: ['segment.entered'], segments: [] }, 'segments'],
      [{ url: 'https://example.com/hook', events: ['segment.entered'], secret: 'whsec_mine' }, 'body'],
    ];
    for (const [payload, path] of cases) {
      const response = await call(t, 'POST', '/v1/webhooks', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().path, `${JSON.stringify(payload)} → ${response.body}`).toBe(path);
    }
  });

  it('refuses loopback, private, link-local, metadata, unspecified and multicast targets with a 400 naming url', async () => {
    const refused: Array<[string, RegExp]> = [
      ['http://127.0.0.1/hook', /loopback/],
      ['http://localhost:8080/hook', /loopback/],
      ['http://[::1]/hook', /loopback/],
      ['http://10.1.2.3/hook', /private/],
      ['http://172.20.0.1/hook', /private/],
      ['http://192.168.1.1/hook', /private/],
      ['http://100.64.0.1/hook', /CGNAT/],
      ['http://[fd12:3456::1]/hook', /unique local/],
      ['http://169.254.1.1/hook', /link-local/],
      ['http://169.254.169.254/latest/meta-data', /metadata/],
      ['http://[fd00:ec2::254]/', /metadata/],
      ['http://0.0.0.0/hook', /unspecified/],
      ['http://[::]/hook', /unspecified/],
      ['http://224.0.0.1/hook', /multicast/],
      ['http://[ff02::1]/hook', /multicast/],
      ['http://[::ffff:127.0.0.1]/hook', /loopback/],
      ['http://2130706433/hook', /loopback/],
      ['http://0x7f.1/hook', /loopback/],
    ];
    for (const [url, kind] of refused) {
      const response = await call(guarded, 'POST', '/v1/webhooks', { url, events: ['segment.entered'] });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ error: 'invalid_request', path: 'url' });
      expect(response.json().message, url).toMatch(kind);
    }
    const created = await call(guarded, 'POST', '/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['segment.entered'] });
    expect(created.statusCode, created.body).toBe(201);
    // A change of URL goes through the same guard.
    const patched = await call(guarded, 'PATCH', `/v1/webhooks/${created.json().id}`, { url: 'http://192.168.0.10/hook' });
    expect(patched.statusCode).toBe(400);
    expect(patched.json()).toMatchObject({ path: 'url' });
    // Metadata stays refused even where private targets are allowed.
    const metadata = await call(t, 'POST', '/v1/webhooks', { url: 'http://169.254.169.254/', events: ['segment.entered'] });
    expect(metadata.statusCode).toBe(400);
    expect(metadata.json().message).toMatch(/metadata/);
  });

  it(`allows at most ${WEBHOOK_LIMITS.maxEndpointsPerProject} endpoints per project`, async () => {
    const project = await t.createProject('Many endpoints');
    for (let i = 0; i < WEBHOOK_LIMITS.maxEndpointsPerProject; i++) {
      expect((await call(t, 'POST', '/v1/webhooks', { url: `http://127.0.0.1:9/${i}`, events: ['nps.response'] }, project.secretKey)).statusCode).toBe(201);
    }
    const over = await call(t, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['nps.response'] }, project.secretKey);
    expect(over.statusCode).toBe(409);
    expect(over.json().error).toBe('webhook_limit');
  });

  it('keeps projects apart and takes only the secret key', async () => {
    const other = await t.createProject('Other');
    const mine = (await call(t, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/mine', events: ['nps.response'] })).json();
    expect((await call(t, 'GET', `/v1/webhooks/${mine.id}`, undefined, other.secretKey)).statusCode).toBe(404);
    expect((await call(t, 'GET', '/v1/webhooks', undefined, other.secretKey)).json().webhooks).toEqual([]);
    expect((await call(t, 'GET', '/v1/webhooks', undefined, t.project.writeKey)).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/webhooks' })).statusCode).toBe(401);
  });

  it('rotates the secret with an overlap, and pages the delivery log', async () => {
    const created = (await call(t, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/log', events: ['nps.response'] })).json();
    const rotated = await call(t, 'POST', `/v1/webhooks/${created.id}/secret/rotate`, { overlapHours: 2 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret).toMatch(/^whsec_/);
    expect(rotated.json().secret).not.toBe(created.secret);
    const expires = Date.parse(rotated.json().previousSecretExpiresAt);
    expect(Math.abs(expires - Date.now() - 2 * 3_600_000)).toBeLessThan(60_000);
    expect((await call(t, 'GET', `/v1/webhooks/${created.id}`)).json().previousSecretExpiresAt).toBe(rotated.json().previousSecretExpiresAt);
    expect((await call(t, 'POST', `/v1/webhooks/${created.id}/secret/rotate`, { overlapHours: -1 })).json().path).toBe('overlapHours');

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = await call(t, 'POST', `/v1/webhooks/${created.id}/test`);
      expect(sent.statusCode).toBe(202);
      ids.push(sent.json().messageId);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(t, 'GET', `/v1/webhooks/${created.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      const { items, nextCursor } = page.json();
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) {
        expect(item).toMatchObject({ type: 'webhook.test', status: 'pending', attempts: 0, responseStatus: null });
        expect(item.payload).toMatchObject({ type: 'webhook.test', data: { endpointId: created.id } });
        seen.push(item.messageId);
      }
      cursor = nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    expect((await call(t, 'GET', `/v1/webhooks/${created.id}/deliveries?cursor=nope`)).json().path).toBe('cursor');
    // Cursors this API never makes are a 400, not a database error.
    for (const parts of [['99999999999999999999', 'msg'], ['1', 'a\u0000b'], ['1', '\ud800'], [1, 'msg'], ['1']]) {
      const hostile = Buffer.from(JSON.stringify(parts)).toString('base64url');
      const response = await call(t, 'GET', `/v1/webhooks/${created.id}/deliveries?cursor=${hostile}`);
      expect(response.statusCode, JSON.stringify(parts)).toBe(400);
      expect(response.json().path).toBe('cursor');
    }
    expect((await call(t, 'GET', `/v1/webhooks/${created.id}/deliveries?limit=0`)).json().path).toBe('limit');

    const redelivered = await call(t, 'POST', `/v1/webhooks/${created.id}/deliveries/${ids[0]}/redeliver`);
    expect(redelivered.statusCode).toBe(202);
    expect((await call(t, 'POST', `/v1/webhooks/${created.id}/deliveries/msg_unknown/redeliver`)).json().error).toBe('delivery_not_found');
  });
});
