/**
 * End to end: the widgets of @uptake/browser (built dist/, ESM entries `nps.js` and `progress.js`)
 * in real Chromium, against the real service and database: the service decides, the browser shows,
 * and what the user does comes back through ingestion. `UPTAKE_SCREENSHOTS=1` also writes the
 * screenshots of docs/img/widget-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHash } from '../../src/projects/keys.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('widgets-browser E2E');
const SCREENSHOTS = process.env['UPTAKE_SCREENSHOTS'] == '1';

const repo = join(import.meta.dirname, '../../../..');
const browserPackage = join(repo, 'packages/browser');
const dist = join(browserPackage, 'dist');

type Page = {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  evaluate<R, A = undefined>(fn: (arg: A) => R, arg?: A): Promise<R>;
  waitForFunction(fn: () => unknown, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  waitForSelector(selector: string, options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<unknown>;
  keyboard: { press(key: string): Promise<void>; type(text: string): Promise<void> };
  screenshot(options: { path: string }): Promise<unknown>;
  on(event: 'pageerror', listener: (error: unknown) => void): void;
};
type Context = { newPage(): Promise<Page>; close(): Promise<void> };
type Browser = { newContext(options?: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; deviceScaleFactor?: number }): Promise<Context>; close(): Promise<void> };
/** What the page-side callbacks use of the DOM (this package's tsconfig has no DOM lib). */
type DomNode = { textContent: string | null; id?: string };
type Root = { querySelector(selector: string): DomNode | null; querySelectorAll(selector: string): ArrayLike<DomNode>; activeElement: DomNode | null };
type Dom = {
  result?: { shown: boolean; reason: string };
  document: { querySelector(selector: string): { shadowRoot: Root | null } | null; activeElement: DomNode | null };
  localStorage: { clear(): void };
  getComputedStyle(node: DomNode): { backgroundColor: string; fontFamily: string };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number, hour = 12) => new Date(todayStart - days * DAY_MS + hour * 3_600_000).toISOString();
let sequence = 0;
const track = (userId: string, event: string, days: number) => ({
  type: 'track', messageId: `wb-${++sequence}`, userId, event, timestamp: daysAgo(days),
});
const times = (n: number, make: () => unknown) => Array.from({ length: n }, make);

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** A host page whose CSS tries hard to break anything it can reach. */
const HOSTILE_CSS = `* { font-family: Georgia, serif !important; color: #c00 !important; }
button { background: hotpink !important; border: 5px dashed lime !important; font-size: 30px !important; }
div { padding: 40px !important; }
body { margin: 0; background: #eef1f5; } header { background: #24324a; color: #fff !important; padding: 14px 20px; font: 600 18px system-ui; }
main { padding: 20px; } .tile { background: #fff; border-radius: 8px; height: 110px; margin: 0 0 14px; }`;

describe.skipIf(!hasChromium)('widgets in Chromium → service → database', () => {
  let t: TestApp;
  let browser: Browser;
  let server: Server;
  let apiOrigin: string;
  let pagesOrigin: string;

  const api = async <T>(url: string): Promise<T> => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode).toBe(200);
    return response.json() as T;
  };
  const eventsOf = async (userId: string, event: string) =>
    t.app.store.db
      .selectFrom('events')
      .select(['event', 'properties'])
      .where('project_id', '=', t.project.projectId)
      .where('user_id', '=', userId)
      .where('event', '=', event)
      .execute();
  const waitForEvent = async (userId: string, event: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await eventsOf(userId, event);
      if (found.length || Date.now() > deadline) return found;
      await sleep(200);
    }
  };

  /** Opens the page that shows `widget` to `userId` (ESM build); `window.result` gets the handle. */
  const open = async (context: Context, widget: 'nps' | 'progress', userId: string, extra = '') => {
    const page = await context.newPage();
    const errors: unknown[] = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(`${pagesOrigin}/${widget}.html?user=${encodeURIComponent(userId)}${extra}`);
    await page.waitForFunction(() => (globalThis as unknown as Dom).result !== undefined, undefined, { timeout: 20_000 });
    expect(errors).toEqual([]);
    return page;
  };
  const result = (page: Page) => page.evaluate(() => (globalThis as unknown as Dom).result!);
  /** Runs `fn` on the widget's shadow root in the page; `null` when there is no widget. */
  const inWidget = <R>(page: Page, fn: (root: Root) => R) =>
    page.evaluate((source: string) => {
      const root = (globalThis as unknown as Dom).document.querySelector('[data-uptake-widget]')?.shadowRoot;
      return root ? (new Function('root', `return (${source})(root)`) as (root: Root) => R)(root) : null;
    }, fn.toString());

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.ts'], { cwd: browserPackage, stdio: 'pipe' });
    t = await createTestApp('pglite');
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${t.project.writeKey}` },
      payload: {
        batch: [
          // Eligible: first seen 60 days ago (old enough without an account).
          ...['ada', 'dismisser', 'shot-light', 'shot-dark', 'shot-narrow'].map((user) => track(user, 'Report Created', 60)),
          // Progress: 42 reports in the last 30 days, 30 in the 30 before; 5 dashboards shared, 9 before.
          ...times(42, () => track('ada', 'Report Created', 3)),
          ...times(30, () => track('ada', 'Report Created', 40)),
          ...times(5, () => track('ada', 'Dashboard Shared', 10)),
          ...times(9, () => track('ada', 'Dashboard Shared', 45)),
          // Ineligible: first seen 2 days ago, no account.
          track('newbie', 'Report Created', 2),
        ],
      },
    });
    expect(response.json()).toMatchObject({ rejected: [] });

    const host = createServer(async (request, reply) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await t.app.inject({ method: request.method as 'GET', url: request.url!, headers: request.headers, payload: Buffer.concat(chunks) });
      reply.writeHead(answer.statusCode, answer.headers as Record<string, string>).end(answer.rawPayload);
    });
    apiOrigin = `http://127.0.0.1:${await listen(host)}`;
    const page = (widget: 'nps' | 'progress') => (url: URL) => {
      const userId = url.searchParams.get('user')!;
      const options = {
        writeKey: t.project.writeKey,
        host: apiOrigin,
        userId,
        userHash: userHash(t.project.identitySecret, userId),
        ...JSON.parse(url.searchParams.get('options') ?? '{}'),
      };
      return `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme</title><style>${HOSTILE_CSS}</style></head>
<body><header>Acme Analytics</header><main><button id="save">Save report</button><div class="tile"></div><div class="tile"></div><div class="tile"></div></main>
<script type="module">
import { init, identify } from '/index.js';
import { ${widget == 'nps' ? 'showNps as show' : 'showProgress as show'} } from '/${widget}.js';
init({ writeKey: ${JSON.stringify(t.project.writeKey)}, host: ${JSON.stringify(apiOrigin)} });
identify(${JSON.stringify(userId)}, {}, { userHash: ${JSON.stringify(options.userHash)} });
document.getElementById('save').focus();
show(${JSON.stringify(options)}).then((handle) => { window.result = { shown: handle.shown, reason: handle.reason }; });
</script></body></html>`;
    };
    const pages: Record<string, (url: URL) => string> = { '/nps.html': page('nps'), '/progress.html': page('progress') };
    server = createServer((request, reply) => {
      const url = new URL(request.url!, 'http://x');
      const file = url.pathname.slice(1);
      if (pages[url.pathname]) reply.writeHead(200, { 'content-type': 'text/html' }).end(pages[url.pathname]!(url));
      else if (/^[\w.-]+\.js$/.test(file) && existsSync(join(dist, file)))
        reply.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dist, file)));
      else reply.writeHead(404).end();
    });
    pagesOrigin = `http://127.0.0.1:${await listen(server)}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    await t?.close();
  });

  it('an eligible verified user answers 9 with a comment, keyboard only; GET /v1/nps reflects it', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
    const page = await open(context, 'nps', 'ada');
    expect(await result(page)).toEqual({ shown: true, reason: 'eligible' });
    await page.waitForSelector('[role=dialog]', { state: 'visible' });
    // Host CSS does not reach in: our buttons are not hotpink, our font is not Georgia.
    const style = await inWidget(page, (root) => {
      const radio = root.querySelector('[role=radio]')!;
      const computed = (globalThis as unknown as Dom).getComputedStyle(radio);
      return { background: computed.backgroundColor, font: computed.fontFamily, focused: root.activeElement?.textContent };
    });
    expect(style!.background).not.toBe('rgb(255, 105, 180)');
    expect(style!.font).not.toContain('Georgia');
    expect(style!.focused).toBe('0'); // focus moved into the prompt
    expect(await waitForEvent('ada', '$nps_shown')).toHaveLength(1);

    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Reports are fast');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('[data-uptake-widget]')?.shadowRoot?.querySelector('h2')?.textContent == 'Thank you for your feedback!');

    const responses = await waitForEvent('ada', '$nps_response');
    expect(responses.map((row) => row.properties)).toEqual([{ score: 9, comment: 'Reports are fast', surveyId: 'nps' }]);
    expect(await api('/v1/nps')).toMatchObject({ nps: 100, responses: 1, promoters: 1, passives: 0, detractors: 0 });
    // The thank-you closes by itself and focus goes back to the page's button.
    await page.waitForSelector('[data-uptake-widget]', { state: 'detached', timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as Dom).document.activeElement?.id)).toBe('save');
    await context.close();
  }, 60_000);

  it('dismissed with Escape: not shown again after clearing localStorage, nor in a second browser context', async () => {
    const first = await browser.newContext();
    const page = await open(first, 'nps', 'dismisser');
    expect(await result(page)).toMatchObject({ shown: true });
    await page.waitForSelector('[role=dialog]', { state: 'visible' });
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-uptake-widget]', { state: 'detached' });
    expect((await waitForEvent('dismisser', '$nps_dismissed')).map((row) => row.properties)).toEqual([{ surveyId: 'nps' }]);

    await page.evaluate(() => (globalThis as unknown as Dom).localStorage.clear());
    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as Dom).result !== undefined);
    expect((await result(page)).shown).toBe(false);
    expect(await inWidget(page, () => true)).toBeNull();
    await first.close();

    const second = await browser.newContext();
    const other = await open(second, 'nps', 'dismisser');
    expect((await result(other)).shown).toBe(false);
    expect(await inWidget(other, () => true)).toBeNull();
    await second.close();
    expect(await eventsOf('dismisser', '$nps_shown')).toHaveLength(1);
  }, 60_000);

  it('an ineligible user never sees it', async () => {
    const context = await browser.newContext();
    const page = await open(context, 'nps', 'newbie');
    expect(await result(page)).toEqual({ shown: false, reason: 'too_new' });
    expect(await inWidget(page, () => true)).toBeNull();
    await context.close();
    expect(await eventsOf('newbie', '$nps_shown')).toEqual([]);
  }, 60_000);

  it('the progress card shows the counts the widget API gives', async () => {
    const hash = userHash(t.project.identitySecret, 'ada');
    const answer = (await t.app.inject({ method: 'GET', url: `/v1/widgets/progress?userId=ada&userHash=${hash}&writeKey=${t.project.writeKey}` })).json() as {
      user: { items: Array<{ label: string; count: number; change: number }> };
    };
    // Independent of the service: what was ingested above.
    expect(answer.user.items.map((item) => [item.label, item.count, item.change])).toEqual([
      ['Report Created', 42, 12],
      ['Dashboard Shared', 5, -4],
    ]);
    const context = await browser.newContext();
    const page = await open(context, 'progress', 'ada');
    expect(await result(page)).toMatchObject({ shown: true });
    const card = await inWidget(page, (root) => ({
      title: root.querySelector('h2')!.textContent,
      lines: Array.from(root.querySelectorAll('li'), (li: DomNode) => li.textContent),
      role: root.querySelector('[role=region]') != null,
    }));
    expect(card).toEqual({
      title: 'Your last 30 days',
      lines: ['42Report Created12 more than the 30 days before', '5Dashboard Shared4 fewer than the 30 days before'],
      role: true,
    });
    // A notice: it does not take focus from the page.
    expect(await page.evaluate(() => (globalThis as unknown as Dom).document.activeElement?.id)).toBe('save');
    await context.close();
  }, 60_000);

  it.runIf(SCREENSHOTS)('screenshots for the docs: light, dark, narrow', async () => {
    const shots: Array<[string, 'nps' | 'progress', string, { width: number; height: number }, 'light' | 'dark']> = [
      ['widget-nps-light', 'nps', 'shot-light', { width: 900, height: 520 }, 'light'],
      ['widget-nps-dark', 'nps', 'shot-dark', { width: 900, height: 520 }, 'dark'],
      ['widget-nps-narrow', 'nps', 'shot-narrow', { width: 320, height: 560 }, 'light'],
      ['widget-progress-light', 'progress', 'ada', { width: 900, height: 520 }, 'light'],
      ['widget-progress-dark', 'progress', 'ada', { width: 900, height: 520 }, 'dark'],
      ['widget-progress-narrow', 'progress', 'ada', { width: 320, height: 560 }, 'light'],
    ];
    for (const [name, widget, userId, viewport, colorScheme] of shots) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await open(context, widget, userId);
      expect(await result(page)).toMatchObject({ shown: true });
      await sleep(400); // the slide-in
      await page.screenshot({ path: join(repo, 'docs/img', `${name}.png`) });
      await context.close();
    }
  }, 120_000);
});
