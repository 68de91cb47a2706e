/**
 * End to end (issue 17): campaign messages of @uptake/browser/messages (built dist/, ESM) in real
 * Chromium against the real service and database, and the dashboard's campaigns page. A user in
 * `feature-unused:Alert Set` sees the "you're missing" card with that feature's valueText; the
 * click on its call to action is stored; after it no NPS prompt appears within the user's contact
 * interval, in a second browser context too; a holdout user never sees it and is counted in the
 * results. `UPTAKE_SCREENSHOTS=1` also writes docs/img/campaign-{card,banner}-{light,dark,narrow}.png
 * and docs/img/dashboard-campaigns.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inHoldout } from '../../src/domain/campaigns/eligibility.ts';
import { userHash } from '../../src/projects/keys.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('campaigns-browser E2E');
const SCREENSHOTS = process.env['UPTAKE_SCREENSHOTS'] == '1';

const repo = join(import.meta.dirname, '../../../..');
const browserPackage = join(repo, 'packages/browser');
const dist = join(browserPackage, 'dist');

/** What the page-side callbacks use of the DOM (this package's tsconfig has no DOM lib). */
type DomNode = { textContent: string | null; id?: string; getAttribute(name: string): string | null };
type Root = { querySelector(selector: string): DomNode | null };
type Dom = {
  result?: { shown: boolean; reason: string };
  document: { querySelector(selector: string): { shadowRoot: Root | null } | null; activeElement: DomNode | null };
  location: { pathname: string };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number, hour = 12) => new Date(todayStart - days * DAY_MS + hour * 3_600_000).toISOString();
let sequence = 0;
const track = (userId: string, event: string, days: number) => ({ type: 'track', messageId: `cb-${++sequence}`, userId, event, timestamp: daysAgo(days) });
const identify = (userId: string, traits: Record<string, unknown>) => ({ type: 'identify', messageId: `cb-${++sequence}`, userId, traits, timestamp: daysAgo(60) });

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** Users in the campaign's audience; which of them the holdout takes is decided once the campaign exists. */
const CANDIDATES = Array.from({ length: 24 }, (_, index) => `user-${index}`);
const VALUE_TEXT = 'Alerts tell you when a metric moves';
const HOST_CSS = `body { margin: 0; background: #eef1f5; font: 15px system-ui; } header { background: #24324a; color: #fff; padding: 14px 20px; font-weight: 600; }
main { padding: 20px; } .tile { background: #fff; border-radius: 8px; height: 110px; margin: 0 0 14px; }
button, div { font-family: Georgia, serif !important; }`;

describe.skipIf(!hasChromium).each(testDatabaseKinds)('campaign messages in Chromium → service → database (%s)', (kind) => {
  let t: TestApp;
  let browser: Browser;
  let pages: Server;
  let apiServer: Server;
  let apiOrigin: string;
  let pagesOrigin: string;
  const campaignIds: Record<string, string> = {};

  const inject = async <T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<T> => {
    const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.project.secretKey}` }, ...(payload ? { payload: payload as object } : {}) });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json() as T;
  };
  const ingest = async (batch: unknown[]) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload: { batch } });
    expect(response.json()).toMatchObject({ rejected: [] });
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
  /** The widget API's answer for a user, asked as the page would (write key + hash). */
  const widget = async (route: 'messages' | 'nps', userId: string) =>
    (await t.app.inject({ method: 'GET', url: `/v1/widgets/${route}?userId=${encodeURIComponent(userId)}&userHash=${userHash(t.project.identitySecret, userId)}&writeKey=${t.project.writeKey}` })).json() as {
      show: boolean;
      reason: string;
    };

  /** Opens the page showing `widget` to `userId` (ESM build); `window.result` gets the handle. */
  const open = async (context: BrowserContext, widgetName: 'messages' | 'nps', userId: string) => {
    const page = await context.newPage();
    const errors: unknown[] = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(`${pagesOrigin}/${widgetName}.html?user=${encodeURIComponent(userId)}`);
    await page.waitForFunction(() => (globalThis as unknown as Dom).result !== undefined, undefined, { timeout: 20_000 });
    expect(errors).toEqual([]);
    return page;
  };
  const result = (page: Page) => page.evaluate(() => (globalThis as unknown as Dom).result!);
  const inWidget = <R>(page: Page, fn: (root: Root) => R) =>
    page.evaluate((source: string) => {
      const root = (globalThis as unknown as Dom).document.querySelector('[data-uptake-widget]')?.shadowRoot;
      return root ? (new Function('root', `return (${source})(root)`) as (root: Root) => R)(root) : null;
    }, fn.toString());

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.ts'], { cwd: browserPackage, stdio: 'pipe' });
    t = await createTestApp(kind);
    await inject('POST', '/v1/score-models', {
      features: {
        'Report Created': { weight: 3, label: 'reports created' },
        'Alert Set': { weight: 8, label: 'alerts set', valueText: VALUE_TEXT },
      },
      windowDays: 30,
    });
    const users = [...CANDIDATES, ...['light', 'dark', 'narrow'].flatMap((shot) => [`card-${shot}`, `banner-${shot}`])];
    await ingest([
      // Old enough for the NPS prompt (first seen 60 days ago), active this month, never set an alert.
      ...users.flatMap((userId) => [track(userId, 'Report Created', 60), track(userId, 'Report Created', 2)]),
      // The banner's "{{monthCount}} reports this month": 12 for its screenshots.
      ...users.filter((userId) => userId.startsWith('banner-')).flatMap((userId) => Array.from({ length: 11 }, () => track(userId, 'Report Created', 3))),
      ...users.map((userId) => identify(userId, { firstName: 'Ann', ...(userId.startsWith('card-') ? { shot: 'card' } : userId.startsWith('banner-') ? { shot: 'banner' } : {}) })),
    ]);
    // Built-in templates exist in a new project, off; this test makes its own.
    const missing = {
      name: 'You’re missing alerts',
      kind: 'missing-value',
      enabled: true,
      audience: { segments: ['feature-unused:Alert Set'], traits: [] },
      message: { format: 'card', title: '{{firstName}}, you’re missing {{featureLabel}}', body: '{{featureValueText}}. Set your first one in a minute.', cta: { label: 'Set an alert', url: '/alerts' } },
      schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 },
      holdoutShare: 0.5,
      goal: { kind: 'event', event: 'Alert Set', withinDays: 14 },
    };
    campaignIds['missing'] = (await inject<{ id: string }>('POST', '/v1/campaigns', missing)).id;
    // For the screenshots: the same card to three users, and a banner to three others (no holdout).
    campaignIds['card'] = (await inject<{ id: string }>('POST', '/v1/campaigns', { ...missing, name: 'Screenshot card', holdoutShare: 0, schedule: { ...missing.schedule, priority: 10 }, audience: { segments: ['feature-unused:Alert Set'], traits: [{ trait: 'shot', op: 'eq', value: 'card' }] } })).id;
    campaignIds['banner'] = (
      await inject<{ id: string }>('POST', '/v1/campaigns', {
        ...missing,
        name: 'Screenshot banner',
        kind: 'achievements',
        holdoutShare: 0,
        schedule: { ...missing.schedule, priority: 10 },
        audience: { segments: ['feature-unused:Alert Set'], traits: [{ trait: 'shot', op: 'eq', value: 'banner' }] },
        message: { format: 'banner', title: 'Nice work, {{firstName}}: {{monthCount}} reports this month', body: 'Share one with your team to keep everyone in the loop.', cta: { label: 'Share a report', url: '/alerts' } },
      })
    ).id;

    const proxy = createServer(async (request, reply) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await t.app.inject({ method: request.method as 'GET', url: request.url!, headers: request.headers, payload: Buffer.concat(chunks) });
      reply.writeHead(answer.statusCode, answer.headers as Record<string, string>).end(answer.rawPayload);
    });
    apiServer = proxy;
    apiOrigin = `http://127.0.0.1:${await listen(proxy)}`;
    const page = (widgetName: 'messages' | 'nps') => (url: URL) => {
      const userId = url.searchParams.get('user')!;
      const hash = userHash(t.project.identitySecret, userId);
      const options = { writeKey: t.project.writeKey, host: apiOrigin, userId, userHash: hash };
      return `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme</title><style>${HOST_CSS}</style></head>
<body><header>Acme Analytics</header><main><button id="save">Save report</button><div class="tile"></div><div class="tile"></div><div class="tile"></div></main>
<script type="module">
import { init, identify } from '/index.js';
import { ${widgetName == 'nps' ? 'showNps as show' : 'showMessage as show'} } from '/${widgetName}.js';
init({ writeKey: ${JSON.stringify(t.project.writeKey)}, host: ${JSON.stringify(apiOrigin)} });
identify(${JSON.stringify(userId)}, {}, { userHash: ${JSON.stringify(hash)} });
document.getElementById('save').focus();
show(${JSON.stringify(options)}).then((handle) => { window.result = { shown: handle.shown, reason: handle.reason }; });
</script></body></html>`;
    };
    const routes: Record<string, (url: URL) => string> = {
      '/messages.html': page('messages'),
      '/nps.html': page('nps'),
      '/alerts': () => '<!doctype html><title>Alerts</title><h1>New alert</h1>',
    };
    pages = createServer((request, reply) => {
      const url = new URL(request.url!, 'http://x');
      const file = url.pathname.slice(1);
      if (routes[url.pathname]) reply.writeHead(200, { 'content-type': 'text/html' }).end(routes[url.pathname]!(url));
      else if (/^[\w.-]+\.js$/.test(file) && existsSync(join(dist, file))) reply.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dist, file)));
      else reply.writeHead(404).end();
    });
    pagesOrigin = `http://127.0.0.1:${await listen(pages)}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    pages?.close();
    apiServer?.close();
    await t?.close();
  });

  /**
   * The candidates split as the service's stable hash splits them (`inHoldout`, the function the
   * widget route decides with): the campaign's id is new in every run, so the split is too.
   */
  const groups = () => {
    const held = (userId: string) => inHoldout(t.project.projectId, campaignIds['missing']!, userId, 0.5);
    return { exposed: CANDIDATES.filter((userId) => !held(userId)), holdout: CANDIDATES.filter(held) };
  };
  const title = 'Ann, you’re missing alerts set';
  const body = `${VALUE_TEXT}. Set your first one in a minute.`;
  let exposedUser = '';

  it('a user in feature-unused sees the "you’re missing" card with the valueText; the click is stored; no NPS prompt after it, in a second context either', async () => {
    const first = await browser.newContext({ viewport: { width: 1024, height: 640 } });
    exposedUser = groups().exposed[0]!;
    const page = await open(first, 'messages', exposedUser);
    expect(await result(page)).toEqual({ shown: true, reason: 'eligible' });
    const card = await inWidget(page, (root) => ({
      format: root.querySelector('[role=region]')?.getAttribute('data-format'),
      label: root.querySelector('[role=region]')?.getAttribute('aria-labelledby'),
      title: root.querySelector('h2')!.textContent,
      body: root.querySelector('.body')!.textContent,
      cta: root.querySelector('a.go')!.textContent,
    }));
    expect(card).toEqual({ format: 'card', label: 't', title, body, cta: 'Set an alert' });
    // A notice: the page keeps its focus.
    expect(await page.evaluate(() => (globalThis as unknown as Dom).document.activeElement?.id)).toBe('save');
    expect((await waitForEvent(exposedUser, '$message_shown')).map((row) => row.properties)).toEqual([{ campaignId: campaignIds['missing'] }]);

    // A real click on the call to action: the browser follows the link, and the event is stored.
    await page.locator('[data-uptake-widget] a.go').click();
    await page.waitForURL(`${pagesOrigin}/alerts`);
    expect((await waitForEvent(exposedUser, '$message_clicked')).map((row) => row.properties)).toEqual([{ campaignId: campaignIds['missing'], url: '/alerts' }]);
    await first.close();
    // The goal, after the message: the user sets an alert.
    await ingest([{ type: 'track', messageId: `cb-${++sequence}`, userId: exposedUser, event: 'Alert Set', timestamp: new Date().toISOString() }]);

    // The message counted as a contact: no NPS prompt within the interval, in another browser; nor the message again.
    const second = await browser.newContext();
    const nps = await open(second, 'nps', exposedUser);
    expect(await result(nps)).toEqual({ shown: false, reason: 'user_contacted_recently' });
    expect(await inWidget(nps, () => true)).toBeNull();
    const again = await open(second, 'messages', exposedUser);
    expect((await result(again)).shown).toBe(false);
    expect(await inWidget(again, () => true)).toBeNull();
    await second.close();
    expect(await eventsOf(exposedUser, '$nps_shown')).toEqual([]);
    expect(await eventsOf(exposedUser, '$message_shown')).toHaveLength(1);
  }, 120_000);

  it('a holdout user never sees it, and is counted in the results against the exposed users', async () => {
    const { exposed, holdout } = groups();
    expect(holdout.length).toBeGreaterThan(0);
    const context = await browser.newContext();
    const held = await open(context, 'messages', holdout[0]!);
    expect(await result(held)).toEqual({ shown: false, reason: 'holdout' });
    expect(await inWidget(held, () => true)).toBeNull();
    // A second exposed user closes the card with the keyboard: Tab into it, Escape.
    const other = await open(context, 'messages', exposed[1]!);
    expect(await result(other)).toEqual({ shown: true, reason: 'eligible' });
    await other.keyboard.press('Tab');
    await other.keyboard.press('Escape');
    await other.waitForSelector('[data-uptake-widget]', { state: 'detached' });
    expect(await other.evaluate(() => (globalThis as unknown as Dom).document.activeElement?.id)).toBe('save');
    expect((await waitForEvent(exposed[1]!, '$message_dismissed')).map((row) => row.properties)).toEqual([{ campaignId: campaignIds['missing'] }]);
    await context.close();
    // Held out on every device (asked again, the campaign's frequency is used up: `no_campaign`).
    expect(await widget('messages', holdout[0]!)).toMatchObject({ show: false });
    expect(await eventsOf(holdout[0]!, '$message_shown')).toEqual([]);

    const results = await inject<{
      exposed: { users: number; shown: number; clicked: number; dismissed: number; converted: number; rate: number | null };
      holdout: { users: number; converted: number; rate: number | null };
      lift: number | null;
      confidenceInterval: { level: number; low: number; high: number } | null;
    }>('GET', `/v1/campaigns/${campaignIds['missing']}/results`);
    // Exposed: the user who clicked (and then set an alert) and the one who dismissed; holdout: one, not converted.
    expect(results.exposed).toEqual({ users: 2, shown: 2, clicked: 1, dismissed: 1, converted: 1, rate: 0.5 });
    expect(results.holdout).toEqual({ users: 1, converted: 0, rate: 0 });
    expect(results.lift).toBe(0.5);
    expect(results.confidenceInterval).not.toBeNull();
    expect(results.confidenceInterval!.low).toBeLessThanOrEqual(results.lift!);
    expect(results.confidenceInterval!.high).toBeGreaterThanOrEqual(results.lift!);
  }, 180_000);

  it('the dashboard lists the campaign, previews it as the user, shows the results and names the field a 400 is about', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${apiOrigin}/dashboard/`);
    await page.getByLabel('Project secret key').fill(t.project.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.waitForSelector('#campaign-list');
    expect(await page.textContent('#campaign-list')).toContain('You’re missing alerts');
    await page.getByRole('link', { name: 'You’re missing alerts' }).click();

    // Results: the same figures as the API, lift in percentage points with its interval.
    await page.waitForSelector('#campaign-results');
    const results = await inject<{ lift: number; confidenceInterval: { low: number; high: number } }>('GET', `/v1/campaigns/${campaignIds['missing']}/results`);
    expect(await page.getAttribute('#campaign-results [data-metric=lift]', 'data-value')).toBe(String(results.lift));
    expect(await page.getAttribute('#campaign-results [data-metric=confidence-interval]', 'data-value')).toBe(`${results.confidenceInterval.low},${results.confidenceInterval.high}`);
    expect(await page.textContent('#campaign-results tr[data-group=exposed]')).toBe('exposed2211150.0 %');

    // Preview as the exposed user: shown once already (frequency "once"), so not eligible again.
    await page.getByLabel('Preview as user').fill(exposedUser);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForSelector('#campaign-preview [data-eligible]');
    expect(await page.textContent('#campaign-preview [data-eligible]')).toBe('Not eligible: frequency_cap.');
    // As a user not asked yet: the message filled for them.
    await page.getByLabel('Preview as user').fill(groups().exposed[2]!);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForSelector('#campaign-preview .message-title');
    expect(await page.textContent('#campaign-preview [data-eligible]')).toBe('Eligible: this user would get the message.');
    if (SCREENSHOTS && kind == 'pglite') await page.screenshot({ path: join(repo, 'docs/img/dashboard-campaigns.png'), fullPage: true });
    expect(await page.textContent('#campaign-preview .message-title')).toBe(title);
    expect(await page.textContent('#campaign-preview .message-body')).toBe(body);

    // An unknown placeholder: the API's 400 next to the body field, which gets focus.
    await page.getByLabel('Body').fill('Hello {{favouriteColour}}');
    await page.getByRole('button', { name: 'Save campaign' }).click();
    await page.waitForSelector('#campaign-body-error:not([hidden])');
    expect(await page.textContent('#campaign-body-error')).toContain('{{favouriteColour}}');
    expect(await page.getAttribute('#campaign-body', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => (globalThis as unknown as Dom).document.activeElement?.id)).toBe('campaign-body');

    // A new campaign from the form.
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.waitForSelector('#campaign-form');
    await page.getByLabel('Name', { exact: true }).fill('Welcome aboard');
    await page.getByLabel('Segments').fill('new-users');
    await page.getByLabel('Title').fill('Welcome, {{firstName}}');
    await page.getByLabel('Body').fill('Three things to try first.');
    await page.getByLabel('Event or segment').fill('Report Created');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForSelector('#campaign-results');
    const { campaigns } = await inject<{ campaigns: Array<{ name: string; message: { title: string }; goal: unknown; enabled: boolean }> }>('GET', '/v1/campaigns');
    expect(campaigns.find((campaign) => campaign.name == 'Welcome aboard')).toMatchObject({
      enabled: false,
      message: { title: 'Welcome, {{firstName}}' },
      goal: { kind: 'event', event: 'Report Created', withinDays: 14 },
    });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it.runIf(SCREENSHOTS)('screenshots for the docs: card and banner, light, dark, narrow', async () => {
    const shots: Array<[string, string, { width: number; height: number }, 'light' | 'dark']> = [
      ['campaign-card-light', 'card-light', { width: 900, height: 520 }, 'light'],
      ['campaign-card-dark', 'card-dark', { width: 900, height: 520 }, 'dark'],
      ['campaign-card-narrow', 'card-narrow', { width: 320, height: 560 }, 'light'],
      ['campaign-banner-light', 'banner-light', { width: 900, height: 400 }, 'light'],
      ['campaign-banner-dark', 'banner-dark', { width: 900, height: 400 }, 'dark'],
      ['campaign-banner-narrow', 'banner-narrow', { width: 320, height: 560 }, 'light'],
    ];
    for (const [name, userId, viewport, colorScheme] of shots) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await open(context, 'messages', userId);
      expect(await result(page)).toMatchObject({ shown: true });
      await sleep(400); // the slide-in
      await page.screenshot({ path: join(repo, 'docs/img', `${name}.png`) });
      await context.close();
    }
  }, 120_000);
});
