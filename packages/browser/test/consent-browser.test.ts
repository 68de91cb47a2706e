// @vitest-environment node
/**
 * Consent in real Chromium (README "Privacy and consent"): the script tag we ship (dist/uptake.min.js,
 * built by the global setup) on pages served by a local server that also plays the service and
 * counts every `POST /v1/batch`. Each test has its own browser context (its own localStorage and
 * cookies). Skipped when /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`consent-browser skipped: ${CHROMIUM} not found`);

const dist = join(import.meta.dirname, '../dist');
const STUB = readFileSync(join(import.meta.dirname, '../snippet.html'), 'utf8').match(/<script>([\s\S]*?)<\/script>/)![1]!;

type SentEvent = { type: string; event?: string; anonymousId: string; userId?: string };
/** Every batch that reached the local "service", in order. */
const batches: SentEvent[][] = [];
const sent = (): SentEvent[] => batches.flat();
const names = (): string[] => sent().map((event) => event.event ?? event.type);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (done: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(names())}`);
    await sleep(50);
  }
};

/** `data-*` attributes of the SDK's tag for `/page.html?attrs=…`; the flush interval is short so that events go out quickly. */
const pageHtml = (attrs: string): string => `<!doctype html><html><head><title>Consent page</title>
<script>${STUB}</script>
<script async src="/uptake.min.js" data-write-key="wk_consent" data-flush-interval-ms="100" ${attrs}></script>
</head><body>page</body></html>`;

describe.skipIf(!hasChromium)('consent in Chromium (script tag)', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const url = new URL(request.url!, 'http://x');
      if (request.method == 'POST' && url.pathname == '/v1/batch') {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch: SentEvent[] };
        batches.push(body.batch);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: body.batch.length, duplicates: 0, rejected: [] }));
      } else if (url.pathname == '/page.html') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(url.searchParams.get('attrs') ?? ''));
      } else if (url.pathname == '/uptake.min.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dist, 'uptake.min.js')));
      } else if (url.pathname == '/blank.html') {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  afterEach(async () => {
    await context?.close();
    batches.length = 0;
  });

  /** Opens the page with the tag's `attrs` and waits for the SDK to replace the stub. */
  const open = async (page: Page, attrs = ''): Promise<void> => {
    await page.goto(`${origin}/page.html?attrs=${encodeURIComponent(attrs)}`);
    await page.waitForFunction(() => !Array.isArray((globalThis as unknown as { uptake: unknown }).uptake));
  };
  const call = (page: Page, method: string, ...args: unknown[]): Promise<void> =>
    page.evaluate(
      ([method, args]) => void (globalThis as unknown as { uptake: Record<string, (...args: unknown[]) => void> }).uptake[method as string]!(...(args as unknown[])),
      [method, args] as const,
    );
  /** What the site keeps in this browser: its `uptake.*` localStorage entries and every cookie. */
  const storedState = async (page: Page) => ({
    localStorage: await page.evaluate(() =>
      Object.fromEntries(Object.keys(localStorage).filter((key) => key.startsWith('uptake.')).map((key) => [key, localStorage.getItem(key)])),
    ),
    cookies: await context.cookies(),
  });
  const newPage = async (): Promise<Page> => {
    context = await browser.newContext();
    return context.newPage();
  };

  it('remembers consent across reloads: granted once, the next page loads send without being asked again', async () => {
    const page = await newPage();
    await open(page, 'data-consent="pending"');
    await call(page, 'track', 'Before Consent');
    await sleep(500);
    expect(batches).toHaveLength(0); // pending: nothing sent

    await call(page, 'consent', true);
    await waitFor(() => names().includes('Before Consent'));
    await page.reload();
    await page.waitForFunction(() => !Array.isArray((globalThis as unknown as { uptake: unknown }).uptake));
    await call(page, 'track', 'After Reload');
    await waitFor(() => names().includes('After Reload'));
    const state = await storedState(page);
    expect(state.localStorage['uptake.c']).toBe('granted');
    // The same visitor across the reload.
    const ids = new Set(sent().map((event) => event.anonymousId));
    expect(ids.size).toBe(1);
  });

  it("consent('denied') sends nothing more, leaves no stored id, and stays denied after a reload", async () => {
    const page = await newPage();
    await open(page);
    await call(page, 'identify', 'user_42');
    await call(page, 'group', 'acme');
    await waitFor(() => names().includes('group'));
    expect(Object.keys((await storedState(page)).localStorage)).toContain('uptake.id');

    await call(page, 'consent', 'denied');
    const before = batches.length;
    await call(page, 'track', 'After Denial');
    await call(page, 'identify', 'user_42');
    await sleep(800); // eight flush intervals
    await page.goto(`${origin}/blank.html`); // pagehide: nothing to beacon either
    await page.goBack();
    await page.waitForFunction(() => !Array.isArray((globalThis as unknown as { uptake: unknown }).uptake));
    await call(page, 'track', 'After Reload');
    await sleep(800);
    expect(batches.length).toBe(before);
    expect(await storedState(page)).toEqual({ localStorage: { 'uptake.c': 'denied' }, cookies: [] });
  });

  it('honours Global Privacy Control with data-global-privacy-control until the page grants explicitly', async () => {
    const page = await newPage();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    await open(page, 'data-global-privacy-control');
    await call(page, 'track', 'Under GPC');
    await sleep(800);
    expect(batches).toHaveLength(0);
    expect(await storedState(page)).toEqual({ localStorage: {}, cookies: [] });

    // The same browser without the option: the signal alone changes nothing.
    await open(page);
    await call(page, 'track', 'Option Off');
    await waitFor(() => names().includes('Option Off'));
    batches.length = 0;
    await page.evaluate(() => localStorage.clear());

    await open(page, 'data-global-privacy-control');
    await call(page, 'consent', true);
    await call(page, 'track', 'Granted Explicitly');
    await waitFor(() => names().includes('Granted Explicitly'));
    expect((await storedState(page)).localStorage['uptake.c']).toBe('granted');
  });

  it("anonymous mode (data-consent=\"anonymous\") sends events but writes nothing to storage until consent is granted", async () => {
    const page = await newPage();
    await open(page, 'data-consent="anonymous"');
    await call(page, 'track', 'Anonymous 1');
    await waitFor(() => names().includes('Anonymous 1'));
    await page.goto(`${origin}/blank.html`);
    await page.goBack();
    await page.waitForFunction(() => !Array.isArray((globalThis as unknown as { uptake: unknown }).uptake));
    await call(page, 'track', 'Anonymous 2');
    await waitFor(() => names().includes('Anonymous 2'));
    expect(await storedState(page)).toEqual({ localStorage: {}, cookies: [] });
    const first = sent().find((event) => event.event == 'Anonymous 1')!;
    const second = sent().find((event) => event.event == 'Anonymous 2')!;
    expect(second.anonymousId).not.toBe(first.anonymousId); // nothing kept across page loads

    await call(page, 'consent', true);
    await call(page, 'track', 'Granted');
    await waitFor(() => names().includes('Granted'));
    const stored = (await storedState(page)).localStorage;
    expect(JSON.parse(stored['uptake.id']!).a).toBe(second.anonymousId);
    expect(stored['uptake.c']).toBe('granted');
  });
});
