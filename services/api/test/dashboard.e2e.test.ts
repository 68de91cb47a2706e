/**
 * End to end: the customer-success dashboard (/dashboard) in real Chromium against the real
 * service and database. Sign in with the secret key, then check what the page shows against the
 * query API's own answers for the same questions: the overview chart's numbers, an account's
 * score, a segment's CSV export. Every request the page makes is recorded: all data requests
 * must carry the secret key.
 *
 * UPTAKE_SCREENSHOTS=1 loads a larger, demo-like dataset and rewrites docs/img/dashboard-*.png.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from './support/generate-data.ts';
import { ingestEvents } from './support/ingest.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

const hasChromium = chromiumAvailable('dashboard E2E');
const screenshots = process.env['UPTAKE_SCREENSHOTS'] === '1';
const imageDir = join(import.meta.dirname, '../../../docs/img');

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
  const shoot = async (name: string) => {
    if (screenshots) await page.screenshot({ path: join(imageDir, `dashboard-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    t = await createTestApp('pglite');
    // Generated days end yesterday (UTC): a timestamp later than its receive time would be clamped.
    const data = screenshots
      ? generateDataset({ seed: 2026, asOf: utcDay(-1), days: 90, accounts: 14, usersPerAccount: [3, 9] })
      : generateDataset({ seed: 41, asOf: utcDay(-1), days: 40, accounts: 6, usersPerAccount: [2, 5] });
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

  it('accounts: the table agrees with the API; opening an account shows its score', async () => {
    await page.getByRole('link', { name: 'Accounts', exact: true }).click();
    await page.waitForSelector('#accounts-table tbody tr[data-account-id]');
    const ranked = await api<{ items: Array<{ accountId: string; score: number; percentile: number }> }>('/v1/scores/accounts?limit=1000');
    const firstPage = await page.$$eval('#accounts-table tbody tr', (rows) => rows.map((row) => row.getAttribute('data-account-id')));
    expect(firstPage).toEqual(ranked.items.slice(0, 20).map((item) => item.accountId)); // by score, highest first

    // Utilisation bands come from the API's ratio.
    for (const accountId of firstPage.slice(0, 5)) {
      const { utilisation } = await api<{ utilisation: number | null }>(`/v1/accounts/${encodeURIComponent(accountId!)}/utilisation`);
      const band = await page.$eval(`#accounts-table tr[data-account-id="${accountId}"] [data-band]`, (node) => node.getAttribute('data-band'));
      expect(band).toBe(utilisation === null ? 'none' : utilisation >= 0.8 ? 'green' : utilisation >= 0.6 ? 'amber' : 'red');
    }
    // Sorting by score ascending, then searching, narrows the table.
    expect(await page.$eval('#accounts-table th[aria-sort="descending"]', (node) => node.textContent)).toContain('Score');
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    expect(await page.$eval('#accounts-table th[aria-sort="ascending"]', (node) => node.textContent)).toContain('Score');
    const lowest = [...ranked.items].sort((a, b) => a.score - b.score || (a.accountId < b.accountId ? -1 : 1))[0]!;
    expect(await page.$eval('#accounts-table tbody tr', (row) => row.getAttribute('data-account-id'))).toBe(lowest.accountId);
    await shoot('accounts');
    await page.getByLabel('Search accounts').fill(ranked.items[0]!.accountId);
    await expect.poll(() => page.$$eval('#accounts-table tbody tr', (rows) => rows.map((row) => row.getAttribute('data-account-id')))).toEqual([ranked.items[0]!.accountId]);

    const accountId = ranked.items[0]!.accountId;
    await page.getByRole('link', { name: accountId, exact: true }).click();
    await page.waitForSelector('#account-cards [data-metric="score"]');
    const score = await api<{ score: number; percentile: number; breakdown: Array<{ event: string; points: number }> }>(`/v1/accounts/${encodeURIComponent(accountId)}/score`);
    expect(await page.$eval('#account-cards [data-metric="score"]', (node) => node.getAttribute('data-value'))).toBe(String(score.score));
    expect(await page.$eval('#account-cards [data-metric="percentile"]', (node) => node.getAttribute('data-value'))).toBe(String(score.percentile));
    const events = await page.$$eval('#breakdown-table tbody tr[data-event]', (rows) => rows.map((row) => row.getAttribute('data-event')).sort());
    expect(events).toEqual(score.breakdown.map((row) => row.event).sort());
    // The trend's last point is the last complete day.
    const utilisation = await api<{ utilisation: number | null }>(`/v1/accounts/${encodeURIComponent(accountId)}/utilisation?asOf=${utcDay(-1)}`);
    expect(await page.$eval('#chart-utilisation-table tbody tr:last-child td[data-series="utilisation"]', (node) => node.getAttribute('data-value'))).toBe(utilisation.utilisation === null ? '' : String(utilisation.utilisation));
    await page.waitForSelector('#chart-utilisation canvas');
    await shoot('account');
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
