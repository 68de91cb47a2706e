/**
 * End to end: the dashboard's role-group table (account page), cohort retention heat map
 * (overview) and score-model comparison (model editor) in real Chromium against the real service:
 * each shows what its route answers.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const hasChromium = chromiumAvailable('groups, retention and model comparison E2E');
const today = new Date().toISOString().slice(0, 10);
const yesterday = addDays(today, -1);

describe.skipIf(!hasChromium)('dashboard: role groups, retention heat map, model comparison in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];
  const data = generateDataset({ seed: 61, asOf: yesterday, days: 60, accounts: 6 });
  const api = async (url: string) => {
    const answer = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(answer.statusCode, answer.body).toBe(200);
    return answer.json();
  };

  beforeAll(async () => {
    t = await createTestApp('pglite');
    await ingestEvents(t.app, t.project.writeKey, data.events);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { features: { 'Report Created': { weight: 4, label: 'Reports' }, 'Invite Sent': { weight: 1, label: 'Invites' } }, activate: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${origin}/dashboard`);
    await page.getByLabel('Project secret key').fill(t.project.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the overview shows the weekly cohorts GET /v1/retention answers', async () => {
    await page.waitForSelector('#retention-heatmap table');
    const shown = await page.$$eval('#retention-heatmap tbody tr[data-cohort]', (rows) =>
      rows.map((row) => ({ start: row.getAttribute('data-cohort'), shares: [...row.querySelectorAll('td[data-share]')].map((cell) => Number(cell.getAttribute('data-share'))) })),
    );
    const answer = await api(`/v1/retention?by=week&to=${yesterday}`);
    expect(answer.cohorts.length).toBeGreaterThan(3);
    expect(shown).toEqual(answer.cohorts.map((cohort: any) => ({ start: cohort.start, shares: cohort.periods.map((period: any) => period.share) })));
  }, 60_000);

  it('the account page shows the role groups GET /v1/accounts/:id/groups answers, and regroups by another trait', async () => {
    const accountId = data.accounts[0]!.accountId;
    await page.goto(`${origin}/dashboard#/accounts/${encodeURIComponent(accountId)}`);
    await page.waitForSelector('#account-groups-table table');
    const rows = () => page.$$eval('#account-groups-table tbody tr[data-missing]', (list) => list.map((row) => ({ group: row.getAttribute('data-missing') === 'true' ? null : row.getAttribute('data-group'), users: Number(row.querySelectorAll('td')[0]!.textContent) })));
    const expected = (answer: any) => answer.groups.map((group: any) => ({ group: group.missing ? null : String(group.value), users: group.users }));
    expect(await rows()).toEqual(expected(await api(`/v1/accounts/${encodeURIComponent(accountId)}/groups`)));
    await page.fill('#groups-trait', 'isChampion');
    await page.getByRole('button', { name: 'Group', exact: true }).click();
    await page.waitForSelector('#account-groups-table caption:has-text("by isChampion")');
    expect(await rows()).toEqual(expected(await api(`/v1/accounts/${encodeURIComponent(accountId)}/groups?trait=isChampion`)));
  }, 60_000);

  it('the model editor compares the active version with the shadow one as GET /v1/score-models/compare answers', async () => {
    await page.goto(`${origin}/dashboard#/model`);
    await page.waitForSelector('#compare-summary');
    const spearman = await page.getAttribute('#compare-summary', 'data-spearman');
    const answer = await api('/v1/score-models/compare?a=1&b=2&of=accounts');
    expect(Number(spearman)).toBeCloseTo(answer.spearman, 12);
    const upIds = await page.$$eval('#model-compare-result table:first-of-type tbody tr[data-id]', (list) => list.map((row) => row.getAttribute('data-id')));
    expect(upIds).toEqual(answer.up.map((mover: any) => mover.id));
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
