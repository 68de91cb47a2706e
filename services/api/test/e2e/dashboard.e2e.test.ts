/**
 * End to end: the customer-success dashboard (/dashboard) in real Chromium against the real
 * service and database. Sign in with the secret key, then check what the page shows against the
 * query API's own answers for the same questions: the overview chart's numbers, the accounts
 * table's pages, sorts and searches (GET /v1/accounts), an account's score and users, a segment's
 * CSV export. Every request the page makes is recorded: all data requests must carry the secret key.
 *
 * UPTAKE_SCREENSHOTS=1 loads a larger, demo-like dataset and rewrites docs/img/dashboard-*.png.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('dashboard E2E');
const screenshots = process.env['UPTAKE_SCREENSHOTS'] === '1';
const imageDir = join(import.meta.dirname, '../../../../docs/img');

/** Rows per page of the accounts table. */
const PAGE_SIZE = 50;

const utcDay = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** CSV as RFC 4180 (quoted cells, doubled quotes), independent of the page's writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += char;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

describe.skipIf(!hasChromium)('dashboard in Chromium → query API → database', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  const requests: Array<{ url: string; authorization: string | undefined }> = [];
  const pageErrors: string[] = [];

  const api = async <T = any>(url: string): Promise<T> => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json<T>();
  };
  const allMembers = async (key: string) => {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const answer: any = await api(`/v1/segments/${encodeURIComponent(key)}/members?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...answer.items);
      cursor = answer.nextCursor;
    } while (cursor);
    return items;
  };
  type AccountRow = { accountId: string; name: string | null; score: number; utilisation: number | null; memberCount: number; segments: string[] };
  type AccountList = { total: number; items: AccountRow[]; nextCursor: string | null };
  const accountList = (query: Record<string, string>) => api<AccountList>(`/v1/accounts?${new URLSearchParams({ limit: String(PAGE_SIZE), ...query })}`);
  /** What the accounts table shows, in order: id, the link's text and the raw score. */
  const shownAccounts = () =>
    page.$$eval('#accounts-table tbody tr[data-account-id]', (rows) =>
      rows.map((row) => ({ accountId: row.getAttribute('data-account-id'), name: row.querySelector('th a')!.textContent, score: Number(row.querySelector('[data-field="score"]')!.getAttribute('data-value')) })),
    );
  const asShown = (list: AccountList) => list.items.map((item) => ({ accountId: item.accountId, name: item.name ?? item.accountId, score: item.score }));
  const shoot = async (name: string, { fullPage = true } = {}) => {
    if (screenshots) await page.screenshot({ path: join(imageDir, `dashboard-${name}.png`), fullPage });
  };

  beforeAll(async () => {
    t = await createTestApp('pglite');
    // Generated days end yesterday (UTC): a timestamp later than its receive time would be clamped.
    // More accounts than a page of the accounts table holds, so it has a second page.
    const data = screenshots
      ? generateDataset({ seed: 2026, asOf: utcDay(-1), days: 90, accounts: 56, usersPerAccount: [2, 6] })
      : generateDataset({ seed: 41, asOf: utcDay(-1), days: 40, accounts: 56, usersPerAccount: [1, 3] });
    await ingestEvents(t.app, t.project.writeKey, data.events);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('request', (request) => requests.push({ url: request.url(), authorization: request.headers()['authorization'] }));
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in with the secret key (a wrong key is refused) and keeps it in session storage only', async () => {
    await page.goto(`${origin}/dashboard`);
    await page.getByLabel('Project secret key').fill(t.project.writeKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('write key');

    await page.getByLabel('Project secret key').fill(t.project.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#chart-active canvas');
    const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: (globalThis as any).document.cookie as string }));
    expect(Object.values(storage.session)).toEqual([t.project.secretKey]);
    expect(storage.local).toEqual({});
    expect(storage.cookie).toBe('');
  });

  it('overview: the charts are drawn from GET /v1/metrics/active and GET /v1/nps', async () => {
    const to = utcDay(-1); // the last complete UTC day
    const from = utcDay(-90);
    const expected = await api<{ days: Array<{ date: string; dau: number; wau: number; mau: number; stickiness: number }> }>(`/v1/metrics/active?from=${from}&to=${to}`);
    expect(expected.days).toHaveLength(90);
    expect(expected.days.some((day) => day.dau > 0)).toBe(true);

    // The numbers behind the chart (its data table) are the API's, day by day.
    const shown = await page.$$eval('#chart-active-table tbody tr', (rows) =>
      rows.map((row) => {
        const cells = [...row.querySelectorAll('td')].map((cell) => [cell.getAttribute('data-series'), Number(cell.getAttribute('data-value'))]);
        return { date: row.getAttribute('data-date'), ...Object.fromEntries(cells) };
      }),
    );
    expect(shown).toEqual(expected.days.map(({ date, dau, wau, mau }) => ({ date, dau, wau, mau })));
    const stickiness = await page.$$eval('#chart-stickiness-table td', (cells) => cells.map((cell) => Number(cell.getAttribute('data-value'))));
    expect(stickiness).toEqual(expected.days.map((day) => day.stickiness));

    // The cards show the last day, and the chart really painted something.
    const last = expected.days.at(-1)!;
    const card = (metric: string) => page.$eval(`[data-metric="${metric}"]`, (node) => node.getAttribute('data-value'));
    expect(await card('dau')).toBe(String(last.dau));
    expect(await card('wau')).toBe(String(last.wau));
    expect(await card('mau')).toBe(String(last.mau));
    const nps = await api<{ nps: number | null }>(`/v1/nps?asOf=${to}`);
    expect(await card('nps')).toBe(nps.nps === null ? '' : String(nps.nps));
    const painted = await page.$eval('#chart-active canvas', (canvas) => {
      const { data } = (canvas as any).getContext('2d')!.getImageData(0, 0, (canvas as any).width, (canvas as any).height);
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
      return count;
    });
    expect(painted).toBeGreaterThan(500);
    await shoot('overview');
  });

  it('accounts: one page of GET /v1/accounts, sorted, searched and paged by the API, with names', async () => {
    const before = requests.length;
    await page.getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.waitForSelector('#accounts-table tbody tr[data-account-id]');
    // First load: the page of accounts and the segment names, nothing per account.
    const made = requests.slice(before).map((request) => new URL(request.url).pathname).filter((path) => path.startsWith('/v1/'));
    expect(made.sort()).toEqual(['/v1/accounts', '/v1/segments']);

    const first = await accountList({});
    expect(first.total).toBeGreaterThan(PAGE_SIZE); // so there is a second page
    expect(first.items.every((item) => item.name !== null)).toBe(true); // the generated accounts have a name trait
    expect(await shownAccounts()).toEqual(asShown(first));
    expect(await page.$eval('#accounts-table caption', (node) => node.textContent)).toContain(`${first.total} accounts`);
    expect(await page.$eval('#accounts-table th[aria-sort="descending"]', (node) => node.textContent)).toContain('Score');

    // Utilisation bands come from the utilisation route's ratio.
    for (const { accountId } of first.items.slice(0, 5)) {
      const { utilisation } = await api<{ utilisation: number | null }>(`/v1/accounts/${encodeURIComponent(accountId)}/utilisation`);
      const band = await page.$eval(`#accounts-table tr[data-account-id="${accountId}"] [data-band]`, (node) => node.getAttribute('data-band'));
      expect(band).toBe(utilisation === null ? 'none' : utilisation >= 0.8 ? 'green' : utilisation >= 0.6 ? 'amber' : 'red');
    }
    // Segment chips: the names of the keys the API lists.
    const segmentNames = new Map((await api<{ segments: Array<{ key: string; name: string }> }>('/v1/segments')).segments.map((segment) => [segment.key, segment.name]));
    const withSegments = first.items.find((item) => item.segments.length > 0);
    if (withSegments) {
      const chips = await page.$$eval(`#accounts-table tr[data-account-id="${withSegments.accountId}"] .chip`, (nodes) => nodes.map((node) => node.textContent));
      expect(chips).toEqual(withSegments.segments.map((key) => segmentNames.get(key) ?? key));
    }
    await shoot('accounts', { fullPage: false }); // the top of the table: 50 rows are too tall for the docs

    // Clicking a header sorts on the server: the rows are the API's for that sort and order.
    const sortedBy = async (sort: string) => {
      const direction = await page.$eval(`#accounts-table th[data-sort="${sort}"]`, (node) => node.getAttribute('aria-sort'));
      expect(['ascending', 'descending']).toContain(direction);
      return direction === 'ascending' ? 'asc' : 'desc';
    };
    await page.getByRole('button', { name: 'Utilisation', exact: true }).click();
    await page.waitForSelector('#accounts-table th[data-sort="utilisation"]:not([aria-sort="none"])');
    const firstOrder = await sortedBy('utilisation');
    expect(firstOrder).toBe('desc');
    const byUtilisation = await accountList({ sort: 'utilisation', order: firstOrder });
    await expect.poll(shownAccounts).toEqual(asShown(byUtilisation));
    expect(asShown(byUtilisation)).not.toEqual(asShown(first));
    await page.getByRole('button', { name: 'Utilisation', exact: true }).click();
    await page.waitForSelector('#accounts-table th[data-sort="utilisation"][aria-sort="ascending"]');
    await expect.poll(shownAccounts).toEqual(asShown(await accountList({ sort: 'utilisation', order: 'asc' })));
    await page.getByRole('button', { name: 'Account', exact: true }).click();
    await page.waitForSelector('#accounts-table th[data-sort="name"][aria-sort="ascending"]');
    await expect.poll(shownAccounts).toEqual(asShown(await accountList({ sort: 'name', order: 'asc' })));

    // Back to score (a first click on a number sorts highest first), then the next page and back.
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.waitForSelector('#accounts-table th[data-sort="score"][aria-sort="descending"]');
    await expect.poll(shownAccounts).toEqual(asShown(first));
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForSelector('#accounts-table[data-page="2"]');
    const second = await accountList({ cursor: first.nextCursor! });
    expect(await shownAccounts()).toEqual(asShown(second));
    expect(second.items.length).toBe(first.total - PAGE_SIZE);
    expect(await page.getByText(`Page 2 of ${Math.ceil(first.total / PAGE_SIZE)}`).count()).toBe(1);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.waitForSelector('#accounts-table[data-page="1"]');
    expect(await shownAccounts()).toEqual(asShown(first));

    // The search box asks the API (q, by id or name): the rows narrow to the matching accounts.
    const target = first.items[0]!;
    await page.getByLabel('Search accounts').fill(target.name!);
    const found = await accountList({ q: target.name! });
    expect(found.items.map((item) => item.accountId)).toContain(target.accountId);
    expect(found.total).toBeLessThan(first.total);
    await expect.poll(shownAccounts).toEqual(asShown(found));
    expect(await page.$eval('#accounts-table caption', (node) => node.textContent)).toContain(`${found.total} account`);
    await page.getByLabel('Search accounts').fill(target.accountId.toUpperCase());
    await expect.poll(shownAccounts).toEqual(asShown(await accountList({ q: target.accountId })));
  });

  it('account page: its name, score and breakdown, and its users as GET /v1/accounts/:id/users lists them', async () => {
    const target = (await accountList({})).items[0]!;
    await page.getByRole('link', { name: target.name!, exact: true }).click();
    await page.waitForSelector('#account-cards [data-metric="score"]');
    const accountId = target.accountId;
    expect(await page.$eval('#account-title', (node) => node.textContent)).toBe(`${target.name}${accountId}`);
    const score = await api<{ score: number; percentile: number; breakdown: Array<{ event: string; points: number }> }>(`/v1/accounts/${encodeURIComponent(accountId)}/score`);
    expect(await page.$eval('#account-cards [data-metric="score"]', (node) => node.getAttribute('data-value'))).toBe(String(score.score));
    expect(await page.$eval('#account-cards [data-metric="percentile"]', (node) => node.getAttribute('data-value'))).toBe(String(score.percentile));
    const events = await page.$$eval('#breakdown-table tbody tr[data-event]', (rows) => rows.map((row) => row.getAttribute('data-event')).sort());
    expect(events).toEqual(score.breakdown.map((row) => row.event).sort());
    // The trend's last point is the last complete day.
    const utilisation = await api<{ utilisation: number | null }>(`/v1/accounts/${encodeURIComponent(accountId)}/utilisation?asOf=${utcDay(-1)}`);
    expect(await page.$eval('#chart-utilisation-table tbody tr:last-child td[data-series="utilisation"]', (node) => node.getAttribute('data-value'))).toBe(utilisation.utilisation === null ? '' : String(utilisation.utilisation));

    // Users: every one of the account's users, in the API's order, with its score and last active day.
    const users = await api<{ items: Array<{ userId: string; name: string | null; score: number; lastActive: string | null; isChampion: boolean }>; nextCursor: string | null }>(
      `/v1/accounts/${encodeURIComponent(accountId)}/users?limit=500`,
    );
    expect(users.nextCursor).toBeNull();
    expect(users.items.length).toBe(target.memberCount);
    expect(users.items.length).toBeGreaterThan(0);
    const shownUsers = await page.$$eval('#users-table tbody tr[data-user-id]', (rows) =>
      rows.map((row) => ({
        userId: row.getAttribute('data-user-id'),
        score: Number(row.querySelector('[data-field="score"]')!.getAttribute('data-value')),
        lastActive: row.querySelector('[data-field="lastActive"]')!.getAttribute('data-value') || null,
        isChampion: row.querySelector('.champion') !== null,
      })),
    );
    expect(shownUsers).toEqual(users.items.map(({ userId, score: userScore, lastActive, isChampion }) => ({ userId, score: userScore, lastActive, isChampion })));
    for (const user of users.items.filter((candidate) => candidate.name !== null).slice(0, 3)) {
      expect(await page.$eval(`#users-table tr[data-user-id="${user.userId}"] th`, (node) => node.textContent)).toContain(user.name);
    }
    expect(await page.isHidden('#users-more')).toBe(true);
    await page.waitForSelector('#chart-utilisation canvas');
    await shoot('account');

    // Past the first page, "More users" appends the next ones: pages of one user each here.
    expect(users.items.length).toBeGreaterThan(1);
    await page.route('**/v1/accounts/*/users*', (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('limit', '1');
      return route.continue({ url: url.toString() });
    });
    await page.reload();
    await page.waitForSelector('#users-table tbody tr[data-user-id]');
    expect(await page.$$eval('#users-table tbody tr[data-user-id]', (rows) => rows.length)).toBe(1);
    for (let shown = 1; shown < users.items.length; shown++) {
      await page.getByRole('button', { name: 'More users' }).click();
      await expect.poll(() => page.$$eval('#users-table tbody tr[data-user-id]', (rows) => rows.length)).toBe(shown + 1);
    }
    expect(await page.isHidden('#users-more')).toBe(true);
    expect(await page.$$eval('#users-table tbody tr[data-user-id]', (rows) => rows.map((row) => row.getAttribute('data-user-id')))).toEqual(users.items.map((user) => user.userId));
    await page.unroute('**/v1/accounts/*/users*');
  });

  it('segments: exporting a segment downloads a CSV whose rows are GET /v1/segments/:key/members', async () => {
    // The first account segment with members, as the API says.
    const list = await api<{ segments: Array<{ key: string; of: string }> }>('/v1/segments');
    let key: string | undefined;
    for (const segment of list.segments.filter((candidate) => candidate.of === 'accounts')) {
      if ((await allMembers(segment.key)).length > 1) {
        key = segment.key;
        break;
      }
    }
    expect(key).toBeDefined();
    const members = await allMembers(key!);

    await page.getByRole('link', { name: 'Segments & plays' }).click();
    await page.waitForSelector('#members-table');
    await page.click(`.segment-list a[href="#/segments/${encodeURIComponent(key!)}"]`);
    await page.waitForSelector(`#members-table[data-segment="${key}"]`);
    expect(await page.$$eval('#members-table tbody tr', (rows) => rows.length)).toBe(members.length);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^uptake-segment-${key}-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
    const [header, ...rows] = parseCsv(readFileSync((await download.path())!, 'utf8'));
    expect(header).toEqual(Object.keys(members[0]));
    const asCell = (value: unknown) => (value === null ? '' : Array.isArray(value) ? value.join('; ') : String(value));
    expect(rows).toEqual(members.map((member) => header!.map((column) => asCell(member[column]))));
    await shoot('segments');
  });

  it('score model: the preview computed in the browser matches a shadow version’s scores from the API', async () => {
    await page.getByRole('link', { name: 'Score model' }).click();
    await page.waitForSelector('#model-features tbody tr');
    const event = await page.$eval('#model-features tbody tr', (row) => row.getAttribute('data-event')!);
    await page.getByLabel(`Weight of ${event}`).fill('5');
    await page.waitForSelector('#preview-table tbody tr');
    const preview = await page.$$eval('#preview-table tbody tr', (rows) => Object.fromEntries(rows.map((row) => [row.getAttribute('data-account-id'), Number(row.getAttribute('data-next'))])));
    await shoot('model');

    await page.getByRole('button', { name: 'Save as shadow' }).click();
    await expect.poll(() => page.getByText(/^Saved shadow version/).count(), { timeout: 20_000 }).toBe(1);
    const models = await api<{ models: Array<{ version: number; status: string }> }>('/v1/score-models');
    const shadow = models.models.find((model) => model.status === 'shadow')!;
    expect(models.models.find((model) => model.status === 'active')!.version).toBe(1);
    const shadowScores = await api<{ items: Array<{ accountId: string; score: number }> }>(`/v1/scores/accounts?model=${shadow.version}&limit=1000`);
    expect(preview).toEqual(Object.fromEntries(shadowScores.items.map((item) => [item.accountId, item.score])));
  });

  it('every data request went to the query API with the secret key; signing out forgets the key', async () => {
    const own = requests.filter((request) => request.url.startsWith(origin));
    expect(own.length).toBe(requests.length); // nothing leaves the origin
    const data = own.filter((request) => !new URL(request.url).pathname.startsWith('/dashboard'));
    expect(data.length).toBeGreaterThan(10);
    for (const request of data) {
      expect(new URL(request.url).pathname).toMatch(/^\/v1\//);
      // The failed sign-in attempt used the write key; every other data request the secret key.
      expect([`Bearer ${t.project.secretKey}`, `Bearer ${t.project.writeKey}`]).toContain(request.authorization);
    }
    expect(data.filter((request) => request.authorization !== `Bearer ${t.project.secretKey}`)).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('#secret-key');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(pageErrors.filter((text) => !text.includes('401'))).toEqual([]);
  });
});
