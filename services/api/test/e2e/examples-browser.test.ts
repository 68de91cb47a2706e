/**
 * End to end: the browser examples as `./uptake start` serves them (/examples/script-tag/,
 * /examples/bundler-app/, /examples/react/), in real Chromium, against the real service and
 * database: a click on a tracked button lands in the database exactly once, the NPS prompt appears
 * for a due user, the progress card shows in the sidebar; the React app sends one page view per
 * location and downloads the NPS prompt's code only on the page that renders it.
 * Skipped when /usr/bin/chromium is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoProject } from '../../src/demo/demo-project.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { initialisedDataDir } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('examples-browser E2E');

const repo = join(import.meta.dirname, '../../../..');
const browserPackage = join(repo, 'packages/browser');

type Page = {
  goto(url: string): Promise<unknown>;
  click(selector: string): Promise<void>;
  evaluate<R, A = undefined>(fn: (arg: A) => R, arg?: A): Promise<R>;
  waitForFunction(fn: () => unknown, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  on(event: 'pageerror' | 'console', listener: (error: unknown) => void): void;
  on(event: 'request', listener: (request: { url(): string }) => void): void;
  url(): string;
};
type Context = { newPage(): Promise<Page>; close(): Promise<void> };
type Browser = { newContext(options?: { viewport?: { width: number; height: number } }): Promise<Context>; close(): Promise<void> };
type DomNode = { textContent: string | null; dataset: Record<string, string | undefined>; shadowRoot: { querySelector(selector: string): DomNode | null } | null };
type Dom = { document: { querySelector(selector: string): DomNode | null; querySelectorAll(selector: string): ArrayLike<DomNode> } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number) => new Date(todayStart - days * DAY_MS + 12 * 3_600_000).toISOString();
let sequence = 0;
const track = (userId: string, event: string, days: number) => ({ type: 'track', messageId: `ex-${++sequence}`, userId, event, timestamp: daysAgo(days), context: { groupId: 'cedar-robotics' } });
const times = (n: number, make: () => unknown) => Array.from({ length: n }, make);

describe.skipIf(!hasChromium)('browser examples in Chromium → service → database', () => {
  let t: TestApp;
  let dataDir: string;
  let origin: string;
  let browser: Browser;
  let projectId: string;

  const eventsOf = (userId: string, event: string) =>
    t.app.store.db.selectFrom('events').select(['message_id', 'properties']).where('project_id', '=', projectId).where('user_id', '=', userId).where('event', '=', event).execute();
  const waitForEvents = async (userId: string, event: string, count: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await eventsOf(userId, event);
      if (found.length >= count || Date.now() > deadline) return found;
      await sleep(150);
    }
  };
  const statusOf = (page: Page, id: string) => page.evaluate((selector) => (globalThis as unknown as Dom).document.querySelector(selector)!.dataset['reason'], `#${id}`);
  const widgetText = (page: Page, selector: string) =>
    page.evaluate((css) => (globalThis as unknown as Dom).document.querySelector(css)?.shadowRoot?.querySelector('h2')?.textContent ?? null, selector);

  beforeAll(async () => {
    const build = (cwd: string, script: string, built: string) => {
      if (!existsSync(join(cwd, built))) execFileSync(process.execPath, [script], { cwd, stdio: 'pipe' });
    };
    build(browserPackage, 'scripts/build.ts', 'dist/sri.json');
    build(join(repo, 'examples/bundler-app'), 'build.ts', 'dist/index.html');
    build(join(repo, 'packages/react'), 'scripts/build.ts', 'dist/index.js');
    build(join(repo, 'examples/react'), 'build.ts', 'dist/index.html');
    // As `uptake start`: PGlite in a data dir holding demo-project.json, example pages on.
    dataDir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-examples-')));
    t = await createTestApp('pglite', { database: { kind: 'pglite', dataDir }, examples: true });
    const demo = await ensureDemoProject(t.app.store.db, dataDir);
    projectId = demo.projectId;
    const ingest = async (batch: unknown[]) => {
      const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${demo.writeKey}` }, payload: { batch } });
      expect(response.json()).toMatchObject({ rejected: [] });
    };
    // Users due for the NPS prompt (first seen 60 days ago) with reports created lately: one per example
    // the service picks (the most active due user first), and lena.berg, whom the React test names.
    const names: Record<string, string> = { 'maya.chen': 'Maya Chen', 'omar.haddad': 'Omar Haddad', 'lena.berg': 'Lena Berg' };
    const users = Object.keys(names);
    await ingest([
      { type: 'group', messageId: 'ex-g', userId: users[0], groupId: 'cedar-robotics', traits: { name: 'Cedar Robotics', seats: 20 }, timestamp: daysAgo(60) },
      ...users.flatMap((userId, index) => [
        { type: 'identify', messageId: `ex-i${index}`, userId, traits: { name: names[userId], email: `${userId}@cedar.example` }, timestamp: daysAgo(60) },
        { type: 'group', messageId: `ex-g${index}`, userId, groupId: 'cedar-robotics', timestamp: daysAgo(60) },
        track(userId, 'Report Created', 60),
        ...times(12 - index, () => track(userId, 'Report Created', 3)),
        ...times(5, () => track(userId, 'Report Created', 40)),
      ]),
    ]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    origin = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  for (const example of ['script-tag', 'bundler-app'] as const) {
    it(`${example}: a click is stored once, the NPS prompt and the progress card appear`, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: unknown[] = [];
      page.on('pageerror', (error) => errors.push(error));
      await page.goto(`${origin}/examples/${example}/`);
      // The service picked the most active user who is due for the prompt (the other one once the first was asked).
      await page.waitForFunction(() => /[?&]user=/.test((globalThis as unknown as { location: { search: string } }).location.search));
      const userId = new URL(page.url()).searchParams.get('user')!;
      expect(userId).toBe(example === 'script-tag' ? 'maya.chen' : 'omar.haddad');

      // NPS prompt: shown at the bottom right, and $nps_shown comes back through ingestion.
      await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('#nps-status')!.dataset['reason'] !== undefined, undefined, { timeout: 15_000 });
      expect(await statusOf(page, 'nps-status')).toBe('eligible');
      expect(await page.evaluate(() => (globalThis as unknown as Dom).document.querySelectorAll('[data-uptake-widget]').length)).toBe(2);
      expect(await waitForEvents(userId, '$nps_shown', 1)).toHaveLength(1);

      // Progress card in the sidebar: this month's reports against the month before.
      await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('#progress-status')!.dataset['reason'] !== undefined);
      expect(await widgetText(page, '#progress [data-uptake-widget]')).toBe('Your last 30 days');
      const progress = await page.evaluate(() => (globalThis as unknown as Dom).document.querySelector('#progress [data-uptake-widget]')!.shadowRoot!.querySelector('li')!.textContent);
      expect(progress).toMatch(/^\d+Report Created\d+ more than the 30 days before$/);

      // A tracked button: exactly one stored event, with its properties.
      const before = (await eventsOf(userId, 'Alert Set')).length;
      expect(before).toBe(0);
      await page.click('#set-alert');
      const stored = await waitForEvents(userId, 'Alert Set', 1);
      expect(stored.map((row) => row.properties)).toEqual([{ channel: 'email' }]);
      await sleep(1_500); // anything sent twice would have arrived by now (the service keeps one copy per messageId anyway)
      expect(await eventsOf(userId, 'Alert Set')).toHaveLength(1);
      expect(errors).toEqual([]);
      await context.close();
    }, 45_000);
  }

  it('react: one page view per location, a click stored once, the NPS code downloaded only where it renders', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: unknown[] = [];
    page.on('pageerror', (error) => errors.push(error));
    const scripts: string[] = [];
    page.on('request', (request) => {
      const file = /\/examples\/react\/assets\/([\w.-]+\.js)$/.exec(request.url());
      if (file) scripts.push(file[1]!);
    });
    const userId = 'lena.berg';
    const pageViews = async () =>
      (await t.app.store.db.selectFrom('events').select('properties').where('project_id', '=', projectId).where('user_id', '=', userId).where('type', '=', 'page').orderBy('timestamp').execute())
        .map((row) => row.properties?.['path'])
        .filter((path) => typeof path === 'string' && path.startsWith('/examples/react/'));
    const waitForPageViews = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while ((await pageViews()).length < count && Date.now() < deadline) await sleep(150);
    };

    await page.goto(`${origin}/examples/react/?user=${userId}`);
    // The progress card (rendered in the sidebar on load) asked the service and showed.
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('#progress-status')?.dataset['reason'] !== undefined, undefined, { timeout: 15_000 });
    expect(await statusOf(page, 'progress-status')).toBe('shown');
    expect(await widgetText(page, 'aside [data-uptake-widget]')).toBe('Your last 30 days');

    // A button using useTrack: exactly one stored event, with its properties.
    await page.click('#set-alert');
    const stored = await waitForEvents(userId, 'Alert Set', 1);
    expect(stored.map((row) => row.properties)).toEqual([{ channel: 'email' }]);
    // The provider's page view, once (the layout's usePageViews leaves the first location to it).
    await waitForPageViews(1);
    await sleep(1_500); // anything sent twice would have arrived by now
    expect(await eventsOf(userId, 'Alert Set')).toHaveLength(1);
    expect(await pageViews()).toEqual(['/examples/react/']);
    // The progress entry was downloaded (its card is on this page); the NPS entry was not.
    expect(scripts.some((file) => file.startsWith('progress-'))).toBe(true);
    expect(scripts.filter((file) => file.startsWith('nps-'))).toEqual([]);

    // A client-side navigation to the page that renders <NpsPrompt>: one more page view, the NPS code downloaded now, the prompt shown.
    await page.click('nav a[href^="/examples/react/feedback"]');
    await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('#nps-status')?.dataset['reason'] !== undefined, undefined, { timeout: 15_000 });
    expect(await statusOf(page, 'nps-status')).toBe('eligible');
    expect(scripts.filter((file) => file.startsWith('nps-'))).toHaveLength(1);
    expect(await waitForEvents(userId, '$nps_shown', 1)).toHaveLength(1);
    await waitForPageViews(2);
    expect(await pageViews()).toEqual(['/examples/react/', '/examples/react/feedback']);
    expect(errors).toEqual([]);
    await context.close();
  }, 45_000);

  it('serves the built SDK with its SRI hashes, and no page without the demo project', async () => {
    const sri = (await t.app.inject({ method: 'GET', url: '/examples/sdk/sri.json' })).json() as Record<string, string>;
    expect(Object.keys(sri)).toEqual(expect.arrayContaining(['uptake.min.js', 'uptake-nps.min.js', 'uptake-progress.min.js']));
    const page = await t.app.inject({ method: 'GET', url: '/examples/script-tag/' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'nonce-");
    expect(page.body).toContain(`integrity="${sri['uptake.min.js']}"`);
    const demo = (await import('../../src/examples/demo-user.ts')).readDemoKeys(dataDir)!;
    expect(page.body).not.toContain(demo.identitySecret);
    expect(page.body).not.toContain(demo.secretKey);
    expect((await t.app.inject({ method: 'GET', url: '/examples/sdk/index.js' })).statusCode).toBe(404);
    const other = await createTestApp('pglite', { examples: true });
    try {
      const none = await other.app.inject({ method: 'GET', url: '/examples/bundler-app/' });
      expect(none.statusCode).toBe(503);
      expect(none.body).toContain('No demo project');
    } finally {
      await other.close();
    }
  });
});
