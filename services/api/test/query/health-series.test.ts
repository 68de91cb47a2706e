import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { oracleHealth } from '../support/health-oracle.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// The health series (GET /v1/accounts/:id/health/series) reads each day from the account's own
// rows and the score tables of the kept score points (query/health-series.queries.ts). Checked
// against the oracle for three accounts over 31 days, while days are still queued (not folded
// into the points) and once folded, and over days before later identity links and joins.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 1811, asOf: yesterday, days: 75, accounts: 6 });
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
// A champion active now and then, so the champions component moves within the series.
const extra: OracleEvent[] = [
  { type: 'identify', messageId: 'hs-1', timestamp: at(addDays(yesterday, -50), '08:00'), userId: 'user-champ', traits: { isChampion: true } },
  { type: 'group', messageId: 'hs-2', timestamp: at(addDays(yesterday, -50), '08:01'), userId: 'user-champ', groupId: 'acct-01' },
  { type: 'track', messageId: 'hs-3', timestamp: at(addDays(yesterday, -20), '10:00'), userId: 'user-champ', event: 'Export CSV' },
  { type: 'track', messageId: 'hs-4', timestamp: at(addDays(yesterday, -12), '10:00'), userId: 'user-champ', event: '$nps_response', properties: { score: 3 } },
  // A feature nobody else uses, by a user who joins acct-01 ten days later: before the join it is
  // neither acct-01's nor any account's (breadth as of each day, not with the joins as they are now).
  { type: 'track', messageId: 'hs-5', timestamp: at(addDays(yesterday, -15), '09:00'), userId: 'user-rare', event: 'Rare Feature' },
  { type: 'group', messageId: 'hs-6', timestamp: at(addDays(yesterday, -5), '09:00'), userId: 'user-rare', groupId: 'acct-01' },
];
const events = [...data.events, ...extra];

/** Days of identity links and of joins, from the events as sent. */
const linkDays = [...new Set(events.filter((event) => event.type === 'identify' && event.anonymousId).map((event) => event.timestamp.slice(0, 10)))].sort();

describe.each(testDatabaseKinds)('the health series against the oracle, from kept score points, on %s', (kind) => {
  let t: TestApp;
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  // Three accounts (the one with the champion among them): each day of each is computed on its own.
  const accounts = () => [...oracleHealth(events, { asOf: yesterday }).keys()].filter((id, index) => id === 'acct-01' || index % 3 === 1).slice(0, 3);

  /** Every account's series over `from` … `to` as the oracle's health of each day. */
  async function expectSeries(from: string, to: string, knownAtLeast: number, sent: readonly OracleEvent[] = events) {
    let known = 0;
    const answers = new Map<string, unknown>();
    for (const accountId of accounts()) {
      const series = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health/series?from=${from}&to=${to}`);
      expect(series['days'].map((day: any) => day.date)[0]).toBe(from);
      expect(series['days'].at(-1).date).toBe(to);
      answers.set(accountId, series['days']);
      for (const day of series['days']) {
        const want = oracleHealth(sent, { asOf: day.date }).get(accountId);
        expect({ score: day.score, band: day.band }, `${accountId} on ${day.date}`).toEqual({ score: want?.score ?? null, band: want?.band ?? null });
        if (day.score !== null) known++;
      }
    }
    expect(known, 'days with a health score').toBeGreaterThanOrEqual(knownAtLeast);
    return answers;
  }

  /** The accounts list's health (kept features used, query/kept-account-features.queries.ts) as the oracle's, as of each of `days`. */
  async function expectAccountsHealth(days: string[]) {
    for (const asOf of days) {
      const list = await get(`/v1/accounts?asOf=${asOf}&sort=health&limit=500`);
      const want = oracleHealth(events, { asOf });
      expect(list['items'].length, `accounts as of ${asOf}`).toBe(want.size);
      for (const item of list['items']) {
        expect({ score: item.health, band: item.healthBand }, `${item.accountId} as of ${asOf}`).toEqual({ score: want.get(item.accountId)?.score ?? null, band: want.get(item.accountId)?.band ?? null });
      }
    }
  }

  beforeAll(async () => {
    // No worker: the test decides when the queue is folded.
    t = await createTestApp(kind, { scorePoints: { run: false } });
    // Filled before any event, so every day below is first queued by ingestion.
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 140, seed: 3 });
  });
  afterAll(async () => t?.close());

  it('answers accounts’ 31-day series as the oracle does while the days are still queued', async () => {
    const queued = await t.app.store.db.selectFrom('score_point_queue').select('day').where('project_id', '=', t.project.projectId).execute();
    expect(queued.length, 'queued days').toBeGreaterThan(0);
    await expectSeries(addDays(yesterday, -30), yesterday, 60);
    // Before and after user-rare joins acct-01.
    await expectAccountsHealth([addDays(yesterday, -8), yesterday]);
  }, 300_000);

  it('answers from the per-day counts while the points are not ready (a version still filling)', async () => {
    const db = t.app.store.db;
    await db.updateTable('score_point_versions').set({ state: 'filling' }).where('project_id', '=', t.project.projectId).execute();
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    try {
      await expectSeries(addDays(yesterday, -10), yesterday, 20);
      await expectAccountsHealth([addDays(yesterday, -8)]);
    } finally {
      await db.updateTable('score_point_versions').set({ state: 'ready' }).where('project_id', '=', t.project.projectId).execute();
      t.app.changeTracker.markProjectChanged(t.project.projectId);
    }
  }, 300_000);

  it('answers the same once the queue is folded into the points, and over days before later links and joins', async () => {
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    expect(await t.app.store.db.selectFrom('score_point_queue').select('day').where('project_id', '=', t.project.projectId).execute()).toEqual([]);
    await expectSeries(addDays(yesterday, -30), yesterday, 60);
    // A range ending the day before the middle link: its days' rows are attributed as of each day, not as now.
    expect(linkDays.length).toBeGreaterThan(2);
    const beforeLink = addDays(linkDays[Math.floor(linkDays.length / 2)]!, -1);
    await expectSeries(addDays(beforeLink, -9), beforeLink, 1);
    await expectAccountsHealth([addDays(yesterday, -8), beforeLink]);
  }, 300_000);

  it('brings a kept series up to date after new events of its last days (from the earliest day they fell on)', async () => {
    const from = addDays(yesterday, -30);
    const kept = await expectSeries(from, yesterday, 60);
    // The champion uses a feature three days ago and answers NPS yesterday; then answers again, yesterday alone.
    const more: OracleEvent[] = [
      { type: 'track', messageId: 'hs-7', timestamp: at(addDays(yesterday, -3), '11:00'), userId: 'user-champ', event: 'Rare Feature' },
      { type: 'track', messageId: 'hs-8', timestamp: at(yesterday, '11:00'), userId: 'user-champ', event: '$nps_response', properties: { score: 10 } },
    ];
    const last: OracleEvent[] = [{ type: 'track', messageId: 'hs-9', timestamp: at(yesterday, '12:00'), userId: 'user-champ', event: '$nps_response', properties: { score: 0 } }];
    let sent: readonly OracleEvent[] = events;
    let before = kept.get('acct-01');
    for (const batch of [more, last]) {
      sent = [...sent, ...batch];
      await ingestEvents(t.app, t.project.writeKey, batch);
      const now = (await expectSeries(from, yesterday, 60, sent)).get('acct-01');
      expect(now, 'acct-01 moved').not.toEqual(before);
      before = now;
    }
  }, 300_000);
});
