/**
 * The API reference: the OpenAPI at /docs/json has a request example for every route (made from
 * the routes' zod schemas, src/http/openapi-examples.ts), every example passes its route's own
 * validation on the running service, and the interactive page at /docs is served from this
 * origin under the strict Content-Security-Policy. In real Chromium: the page renders, lists
 * GET /v1/users/{userId}/score with its example, shows the batch example, and reports no CSP
 * violation and no request to another origin.
 */
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { exampleUrl, operationsOf, type OpenApi } from '../support/openapi-routes.ts';

describe.each(testDatabaseKinds)('the OpenAPI request examples (%s)', (kind) => {
  let t: TestApp;
  let spec: OpenApi;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    spec = response.json<OpenApi>();
  });
  afterAll(async () => t?.close());

  it('names an example for every path parameter, required query parameter and JSON body of every route', () => {
    const operations = operationsOf(spec);
    expect(operations.length).toBeGreaterThan(40);
    const missing: string[] = [];
    for (const { method, path, operation } of operations) {
      for (const parameter of operation.parameters ?? []) {
        if ((parameter.in === 'path' || parameter.required) && parameter.example === undefined) missing.push(`${method} ${path} ${parameter.in} ${parameter.name}`);
      }
      const json = operation.requestBody?.content['application/json'];
      if (operation.requestBody && json?.example === undefined) missing.push(`${method} ${path} body`);
    }
    expect(missing).toEqual([]);
  });

  it('shows the real call, not placeholders, where it matters: the ids, a day, a batch of events', () => {
    const score = spec.paths['/v1/users/{userId}/score']!['get']!;
    expect(score.parameters!.find((p) => p.name === 'userId')!.example).toBe('user_42');
    expect(score.parameters!.find((p) => p.name === 'asOf')!.example).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const batch = spec.paths['/v1/batch']!['post']!.requestBody!.content['application/json']!.example as { batch: Array<{ type: string }> };
    expect(batch.batch.map((event) => event.type)).toEqual(['identify', 'group', 'track', 'page']);
  });

  it("passes its route's own validation on the running service, for every route", async () => {
    const operations = operationsOf(spec)
      // Creating comes before reading and deleting; rotating keys last (the old key stops working for writes).
      .sort((a, b) => rank(a) - rank(b));
    const refused: string[] = [];
    for (const { method, path, operation } of operations) {
      const url = exampleUrl(path, operation.parameters ?? []);
      const body = operation.requestBody?.content['application/json']?.example;
      const send = (key: string) =>
        t.app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
      let response = await send(t.project.secretKey);
      if (response.statusCode === 401 || response.statusCode === 403) response = await send(t.project.writeKey);
      const answer = response.statusCode === 400 ? response.json<{ error: string; message: string }>() : undefined;
      // A webhook URL's host is resolved (the SSRF guard, docs/webhooks.md): this machine has no DNS.
      if (answer?.error === 'invalid_request' && !answer.message.includes('does not resolve')) refused.push(`${method} ${url}: ${response.body}`);
      // The ingestion examples are stored as they are: none of their events is rejected.
      if (['/v1/batch', '/v1/identify', '/v1/group', '/v1/track', '/v1/page'].includes(path)) {
        expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
        expect((response.json() as { rejected: unknown[] }).rejected).toEqual([]);
      }
    }
    expect(refused).toEqual([]);
  });
});

/** Order of the example calls: creations, then reads and updates, then deletions, then key rotation. */
function rank({ method, path }: { method: string; path: string }): number {
  if (path.includes('/keys/rotate')) return 4;
  if (method === 'delete') return 3;
  if (method === 'post' && !path.includes('{')) return 1;
  return 2;
}

describe('GET /docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(async () => t?.close());

  it('serves the reference page and its files from this origin under the strict policy', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const scripts = [...page.body.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]!);
    const styles = [...page.body.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    // No inline script: every <script> has a src, on this origin.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style/);
    for (const url of [...scripts, ...styles]) {
      expect(url).not.toMatch(/^(https?:)?\/\//);
      const file = await t.app.inject({ method: 'GET', url: new URL(url, 'http://uptake.test/docs/').pathname });
      expect(file.statusCode, url).toBe(200);
      expect(file.headers['content-security-policy']).toBe(page.headers['content-security-policy']);
    }
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(csp).not.toMatch(/https?:/);
  });

  it('keeps the raw OpenAPI at /docs/json', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ openapi: string }>().openapi).toBe('3.1.0');
  });
});

describe.skipIf(!chromiumAvailable('API reference E2E'))('the API reference in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;
  beforeAll(async () => {
    t = await createTestApp('pglite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the routes with their examples, with no CSP violation and nothing from another origin', async () => {
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    const pageErrors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:')) foreign.push(url);
    });
    // Every violation of the page's policy, as the browser reports it to the page.
    type Violation = { violatedDirective: string; blockedURI: string };
    type Page = { document: { addEventListener(type: string, listener: (event: Violation) => void): void } };
    await page.addInitScript(() => {
      (globalThis as unknown as Page).document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });

    await page.goto(`${origin}/docs/`);
    const score = page.locator('.opblock-get', { has: page.locator('[data-path="/v1/users/{userId}/score"]') });
    await score.first().waitFor({ timeout: 20_000 });
    await score.first().locator('.opblock-summary').click();
    // The parameter table shows the example of the path parameter.
    const userIdRow = score.first().locator('tr[data-param-name="userId"]');
    await userIdRow.waitFor();
    expect(await userIdRow.innerText()).toContain('user_42');

    // The batch route's request body example: the events of the example batch.
    const batch = page.locator('.opblock-post', { has: page.locator('[data-path="/v1/batch"]') });
    await batch.first().locator('.opblock-summary').click();
    const body = batch.first().locator('.body-param__example, .microlight, pre').filter({ hasText: 'Report Created' });
    await body.first().waitFor({ timeout: 10_000 });

    const shot = await page.screenshot({ fullPage: false });
    expect(shot.byteLength).toBeGreaterThan(0);
    expect(consoleLines.filter((line) => /Content Security Policy|CSP violation|Refused to/i.test(line))).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
