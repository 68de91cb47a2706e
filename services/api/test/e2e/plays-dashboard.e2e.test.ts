/**
 * End to end: the dashboard's "Plays this week" page (#/plays) in real Chromium against the real
 * service: after the segment watcher recorded some days, every entry and exit the page lists is the
 * query API's (GET /v1/segments/:key/changes for the last 7 days), segment by segment, in order.
 * UPTAKE_SCREENSHOTS=1 rewrites docs/img/dashboard-plays.png.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentWatcher } from '../../src/plays/segment-watcher.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('plays dashboard E2E');
const today = new Date().toISOString().slice(0, 10);

describe.skipIf(!hasChromium)('dashboard plays page in Chromium → query API → segment history', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp('pglite');
    const data = generateDataset({ seed: 52, asOf: addDays(today, -1), days: 45, accounts: 10 });
    await ingestEvents(t.app, t.project.writeKey, data.events);
    // A baseline 10 days ago, then day after day to yesterday: the last 7 days hold entries and exits.
    const watcher = createSegmentWatcher({ db: t.app.store.db, changeTracker: t.app.changeTracker, log: pino({ level: 'silent' }) });
    for (let back = 10; back >= 1; back--) await watcher.checkProject(t.project.projectId, addDays(today, -back));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists who entered and left each segment this week, as GET /v1/segments/:key/changes answers', async () => {
    await page.goto(`${origin}/dashboard`);
    await page.getByLabel('Project secret key').fill(t.project.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Plays this week' }).click();
    await page.waitForSelector('h1:text("Plays this week")');
    const shown = await page.$$eval('section[data-segment]', (sections) =>
      sections.map((section) => ({
        key: section.getAttribute('data-segment'),
        rows: [...section.querySelectorAll('tbody tr')].map((row) => `${row.getAttribute('data-kind')} ${row.getAttribute('data-member')} ${row.querySelectorAll('td')[1]!.textContent}`),
        facts: [...section.querySelectorAll('tbody tr td:last-child')].map((cell) => cell.textContent ?? ''),
      })),
    );
    const { segments } = (await t.app.inject({ method: 'GET', url: '/v1/segments', headers: { authorization: `Bearer ${t.project.secretKey}` } })).json();
    const expected: Array<{ key: string; rows: string[] }> = [];
    for (const segment of segments) {
      if (segment.key.includes('<')) continue;
      const answer = await t.app.inject({ method: 'GET', url: `/v1/segments/${encodeURIComponent(segment.key)}/changes?since=${addDays(today, -6)}&until=${today}&limit=1000`, headers: { authorization: `Bearer ${t.project.secretKey}` } });
      expect(answer.statusCode, answer.body).toBe(200);
      const items = answer.json().items;
      if (items.length > 0) expected.push({ key: segment.key, rows: items.map((item: any) => `${item.kind} ${item.memberId} ${item.day}`) });
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(shown.map(({ key, rows }) => ({ key, rows }))).toEqual(expected);
    // Each row says what decided it (built-in segments record the facts their rule reads).
    expect(shown.flatMap((section) => section.facts).every((text) => text.length > 0)).toBe(true);
    expect(pageErrors).toEqual([]);
    if (process.env['UPTAKE_SCREENSHOTS'] === '1') await page.screenshot({ path: join(import.meta.dirname, '../../../../docs/img/dashboard-plays.png'), fullPage: true });
  }, 120_000);
});
