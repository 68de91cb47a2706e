/**
 * End to end: the browser SDK (@uptake/browser's built dist/) in real Chromium, against the real
 * ingestion service and database. Pages are served from one origin on 127.0.0.1, the service from
 * another, behind a small proxy that the outage case switches off and on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('sdk-browser E2E');

const browserPackage = join(import.meta.dirname, '../../../../packages/browser');
const dist = join(browserPackage, 'dist');

type Page = {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: () => R): Promise<R>;
  waitForFunction(fn: () => unknown, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  on(event: 'console' | 'pageerror', listener: (message: unknown) => void): void;
};
type Browser = { newPage(): Promise<Page>; close(): Promise<void> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const listen = (server: Server, port = 0): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

describe.skipIf(!hasChromium)('browser SDK in Chromium → service → database', () => {
  let t: TestApp;
  let browser: Browser;
  let pages: Server;
  let proxy: Server;
  let apiPort: number;
  let pagesOrigin: string;
  /** What reached the service: `sec-fetch-mode` is `no-cors` for a beacon, `cors` for fetch. */
  const requests: Array<{ mode?: string; contentType?: string; status: number }> = [];

  /** The API behind a proxy we can stop: connections are refused while it is down. */
  const startProxy = async (port = 0) => {
    proxy = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await t.app.inject({
        method: request.method as 'POST',
        url: request.url!,
        headers: request.headers,
        payload: Buffer.concat(chunks),
      });
      requests.push({ mode: request.headers['sec-fetch-mode'] as string, contentType: request.headers['content-type'], status: answer.statusCode });
      response.writeHead(answer.statusCode, answer.headers as Record<string, string>);
      response.end(answer.rawPayload);
    });
    apiPort = await listen(proxy, port);
  };
  const stopProxy = () =>
    new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      proxy.closeAllConnections();
    });

  /** The user's events, with those sent before `identify` (same anonymousId, no userId yet). */
  const rows = async (userId: string) => {
    const all = await t.app.store.db
      .selectFrom('events')
      .select(['message_id', 'type', 'event', 'user_id', 'anonymous_id', 'context'])
      .where('project_id', '=', t.project.projectId)
      .execute();
    const anonymousIds = new Set(all.filter((row) => row.user_id == userId).map((row) => row.anonymous_id));
    return all.filter((row) => row.user_id == userId || (row.user_id == null && anonymousIds.has(row.anonymous_id)));
  };
  const waitForRows = async (userId: string, count: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await rows(userId);
      if (found.length >= count || Date.now() > deadline) return found;
      await sleep(200);
    }
  };
  const names = (found: Array<{ type: string; event: string | null }>) => found.map((row) => (row.type == 'track' ? row.event : row.type)).sort();

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.ts'], { cwd: browserPackage, stdio: 'pipe' });
    t = await createTestApp('pglite');
    await startProxy();
    const apiOrigin = () => `http://127.0.0.1:${apiPort}`;
    const sri = JSON.parse(readFileSync(join(dist, 'sri.json'), 'utf8')) as Record<string, string>;
    // The documented snippet, verbatim, with its placeholders filled in.
    const snippet = readFileSync(join(browserPackage, 'snippet.html'), 'utf8')
      .replace('https://YOUR-CDN/uptake.min.js', '/uptake.min.js')
      .replace('sha384-SEE-dist/sri.json', sri['uptake.min.js']!)
      .replace('YOUR_WRITE_KEY', t.project.writeKey)
      .replace('https://YOUR-UPTAKE-HOST', apiOrigin())
      .replace('data-host=', 'data-flush-interval-ms="600000" data-host=');
    const html: Record<string, () => string> = {
      '/tag.html': () =>
        `<!doctype html><html><head><title>Tag page</title>${snippet}
<script>uptake.identify('user-tag', { role: 'admin' }); uptake.track('Tag Loaded');</script></head><body>tag</body></html>`,
      '/esm.html': () =>
        `<!doctype html><html><head><title>ESM page</title><script type="module">
import * as uptake from '/index.js';
uptake.init({ writeKey: ${JSON.stringify(t.project.writeKey)}, host: ${JSON.stringify(apiOrigin())}, flushAt: 1 });
uptake.identify('user-esm');
window.sdk = uptake;
</script></head><body>esm</body></html>`,
      '/blank.html': () => '<!doctype html><title>elsewhere</title><p>no SDK here</p>',
    };
    pages = createServer((request, response) => {
      const path = new URL(request.url!, 'http://x').pathname;
      const page = html[path];
      if (page) {
        response.writeHead(200, { 'content-type': 'text/html' }).end(page());
      } else if (path == '/uptake.min.js' || path == '/index.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dist, path.slice(1))));
      } else {
        response.writeHead(404).end();
      }
    });
    pagesOrigin = `http://127.0.0.1:${await listen(pages)}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    pages?.close();
    proxy?.close();
    await t?.close();
  });

  it('script tag: stub calls and an event fired right before navigating away arrive once, by beacon on pagehide', async () => {
    const page = await browser.newPage();
    const errors: unknown[] = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(`${pagesOrigin}/tag.html`);
    await page.waitForFunction(() => !Array.isArray((globalThis as unknown as { uptake: unknown }).uptake));
    await page.evaluate(() => (globalThis as unknown as { uptake: { track(name: string): void } }).uptake.track('Before Leave'));
    await page.goto(`${pagesOrigin}/blank.html`); // pagehide → sendBeacon (the flush interval is 10 min)

    const expected = ['$session_start', 'Before Leave', 'Tag Loaded', 'identify', 'page'].sort();
    const found = await waitForRows('user-tag', expected.length, 15_000);
    expect(names(found)).toEqual(expected);
    const sessionIds = new Set(found.map((row) => (row.context as { sessionId?: string }).sessionId));
    expect(sessionIds.size).toBe(1);
    expect(requests).toEqual([{ mode: 'no-cors', contentType: 'text/plain;charset=UTF-8', status: 200 }]);

    // The beacon could not confirm delivery, so the events stayed stored; the next page load sends
    // them again and the service keeps one copy of each.
    await page.goto(`${pagesOrigin}/tag.html`);
    await page.waitForFunction(
      () => !Object.keys(localStorage).some((key) => key.startsWith('uptake.q.')),
      undefined,
      { timeout: 15_000 },
    );
    await page.goto(`${pagesOrigin}/blank.html`);
    await sleep(1000);
    const after = await rows('user-tag');
    expect(after.filter((row) => row.event == 'Before Leave')).toHaveLength(1);
    expect(after.filter((row) => row.type == 'identify')).toHaveLength(2); // one per page load
    expect(new Set(after.map((row) => row.message_id)).size).toBe(after.length);
    expect(errors).toEqual([]);
  });

  it('ESM build: events fired while the service is down are stored, then delivered once when it comes back', async () => {
    await stopProxy();
    const page = await browser.newPage();
    await page.goto(`${pagesOrigin}/esm.html`);
    await page.waitForFunction(() => 'sdk' in globalThis);
    await page.evaluate(() => {
      const sdk = (globalThis as unknown as { sdk: { track(name: string, properties?: object): void } }).sdk;
      sdk.track('Offline 1', { n: 1 });
      sdk.track('Offline 2', { n: 2 });
    });
    await sleep(1500);
    expect(await rows('user-esm')).toEqual([]);
    const stored = await page.evaluate(() =>
      Object.keys(localStorage)
        .filter((key) => key.startsWith('uptake.q.'))
        .map((key) => localStorage.getItem(key)!.split('\n').length),
    );
    expect(stored).toEqual([4]); // $session_start, identify, Offline 1, Offline 2

    await startProxy(apiPort); // the service is back on the same address
    const expected = ['$session_start', 'Offline 1', 'Offline 2', 'identify'].sort();
    const found = await waitForRows('user-esm', expected.length, 40_000);
    expect(names(found)).toEqual(expected);
    await sleep(500);
    expect(names(await rows('user-esm'))).toEqual(expected);
    await page.waitForFunction(() => !Object.keys(localStorage).some((key) => key.startsWith('uptake.q.')), undefined, { timeout: 10_000 });
  }, 90_000);
});
