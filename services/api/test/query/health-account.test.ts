import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { findHealthModel } from '../../src/query/health-models.queries.ts';
import { healthOfAccounts } from '../../src/query/health.queries.ts';
import { scoreModelFor } from '../../src/query/route-lookups.ts';
import { segmentFacts } from '../../src/query/segments-facts.queries.ts';
import { segmentThresholds } from '../../src/query/segments.queries.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// GET /v1/accounts/:id/health reads one account's own rows (query/health-series.queries.ts
// `accountHealthOfDays`); the accounts list and the health-red segment read `healthOfAccounts`
// over the day's segment facts (every account's). Both must give the same answer, components
// included, for every account and day: while days are queued for the fold and once folded, on
// days before later identity links and joins; and the series must be the single answers day by
// day. The data has what each by-day read must get right within a series: a user becoming
// champion and ceasing to be one, a member joining (with earlier rows), NPS answers leaving the
// (short) window, an anonymous answer counting from its link, seats changing.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const day = (ago: number) => addDays(yesterday, -ago);
const at = (ago: number, time: string) => `${day(ago)}T${time}:00.000Z`;
const data = generateDataset({ seed: 1826, asOf: yesterday, days: 60, accounts: 6 });
const extra: OracleEvent[] = [
  { type: 'group', messageId: 'ha-1', timestamp: at(40, '08:00'), userId: 'user-nc', groupId: 'acct-02' },
  { type: 'track', messageId: 'ha-2', timestamp: at(25, '09:00'), userId: 'user-nc', event: 'Export CSV' },
  { type: 'identify', messageId: 'ha-3', timestamp: at(12, '08:00'), userId: 'user-nc', traits: { isChampion: true } },
  { type: 'track', messageId: 'ha-16', timestamp: at(11, '09:00'), userId: 'user-nc', event: 'Report Created' },
  { type: 'identify', messageId: 'ha-4', timestamp: at(4, '08:00'), userId: 'user-nc', traits: { isChampion: false } },
  { type: 'track', messageId: 'ha-5', timestamp: at(20, '10:00'), userId: 'user-nc', event: '$nps_response', properties: { score: 9 } },
  { type: 'track', messageId: 'ha-6', timestamp: at(8, '10:00'), userId: 'user-nc', event: '$nps_response', properties: { score: 2 } },
  // Active with no account for weeks, then joins acct-04: from then its earlier rows are acct-04's.
  { type: 'track', messageId: 'ha-7', timestamp: at(30, '09:00'), userId: 'user-join', event: 'Report Created' },
  { type: 'track', messageId: 'ha-8', timestamp: at(16, '09:00'), userId: 'user-join', event: 'Export CSV' },
  { type: 'identify', messageId: 'ha-9', timestamp: at(14, '09:00'), userId: 'user-join', traits: { isChampion: true } },
  { type: 'track', messageId: 'ha-10', timestamp: at(13, '09:00'), userId: 'user-join', event: '$nps_response', properties: { score: 10 } },
  { type: 'group', messageId: 'ha-11', timestamp: at(9, '09:00'), userId: 'user-join', groupId: 'acct-04' },
  // An anonymous answer naming acct-03, counted once its anonymousId is linked.
  { type: 'track', messageId: 'ha-12', timestamp: at(15, '11:00'), anonymousId: 'anon-ha', event: '$nps_response', properties: { score: 0, accountId: 'acct-03' } },
  { type: 'identify', messageId: 'ha-13', timestamp: at(6, '11:00'), anonymousId: 'anon-ha', userId: 'user-linked', traits: { name: 'Linked' } },
  // Seats of acct-02 change within the series.
  { type: 'group', messageId: 'ha-14', timestamp: at(18, '12:00'), userId: 'user-nc', groupId: 'acct-02', traits: { seats: 3 } },
  { type: 'group', messageId: 'ha-15', timestamp: at(7, '12:00'), userId: 'user-nc', groupId: 'acct-02', traits: { seats: 40 } },
];
const events = [...data.events, ...extra];
/** Days of identity links and of joins, from the events as sent. */
const linkDays = [...new Set(events.filter((event) => event.type === 'identify' && event.anonymousId && event.userId).map((event) => event.timestamp.slice(0, 10)))].sort();

describe.each(testDatabaseKinds)('one account’s health from its own rows, as the segment facts give it, on %s', (kind) => {
  let t: TestApp;
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  /** Every account's health as of `asOf` from `healthOfAccounts` over the day's segment facts (a cache of its own: nothing shared with the route's). */
  async function factsHealth(asOf: string) {
    const db = t.app.store.db;
    const { projectId } = t.project;
    const cache = createFigureCache({ versions: t.app.changeTracker, maxStalenessMs: 0 });
    const [score, health, thresholds] = await Promise.all([scoreModelFor(db, projectId, undefined), findHealthModel(db, projectId), segmentThresholds(db, projectId)]);
    const facts = await segmentFacts(db, cache, projectId, score, thresholds, asOf);
    return healthOfAccounts(db, cache, projectId, health!, score, facts);
  }

  /** Each account's single answer on each of `days` (sorted) as the facts' health; the series over them as the single answers. */
  async function expectSameAsFacts(days: string[]) {
    // Every account seen by now: those not yet seen on a day answer null there on both paths.
    const accounts = [...(await factsHealth(yesterday)).keys()];
    expect(accounts.length).toBeGreaterThan(5);
    const singles = new Map<string, Record<string, any>>();
    let known = 0;
    for (const asOf of days) {
      const want = await factsHealth(asOf);
      for (const accountId of accounts) {
        const got = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health?asOf=${asOf}`);
        const expected = want.get(accountId) ?? { score: null, band: null, components: [] };
        expect({ score: got['score'], band: got['band'], components: got['components'] }, `${accountId} as of ${asOf}`).toEqual(expected);
        singles.set(`${accountId}:${asOf}`, got);
        if (got['score'] !== null) known++;
      }
    }
    expect(known, 'answers with a score').toBeGreaterThan(days.length);
    for (const accountId of accounts) {
      const series = await get(`/v1/accounts/${encodeURIComponent(accountId)}/health/series?from=${days[0]}&to=${days.at(-1)}`);
      const asked = new Set(days);
      expect(series['days'].filter((d: any) => asked.has(d.date)), accountId).toEqual(days.map((date) => ({ date, score: singles.get(`${accountId}:${date}`)!['score'], band: singles.get(`${accountId}:${date}`)!['band'] })));
    }
    return singles;
  }

  beforeAll(async () => {
    // No worker: the test decides when the queue is folded.
    t = await createTestApp(kind, { scorePoints: { run: false } });
    // Filled before any event, so every day below is first queued by ingestion.
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 140, seed: 5 });
    // A short NPS window and quiet period, so answers leave the window and champions go quiet within the days below.
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/segments/settings',
      headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { thresholds: { npsWindowDays: 10, championQuietDays: 5 } },
    });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(async () => t?.close());

  it('answers every account as healthOfAccounts over the segment facts, day by day, while the days are still queued', async () => {
    const queued = await t.app.store.db.selectFrom('score_point_queue').select('day').where('project_id', '=', t.project.projectId).execute();
    expect(queued.length, 'queued days').toBeGreaterThan(0);
    const singles = await expectSameAsFacts(Array.from({ length: 24 }, (_, index) => day(23 - index)));
    // The edges are in the answers compared: each component's raw value over the days.
    const raws = (accountId: string, key: string, ago: number) => singles.get(`${accountId}:${day(ago)}`)!['components'].find((c: any) => c.key === key)?.raw;
    const champions = [13, 12, 11, 7, 6, 4].map((ago) => raws('acct-02', 'champions', ago));
    expect(champions, 'acct-02: no champion, a quiet one, active, quiet again, none').toEqual([null, 0, 1, 1, 0, null]);
    expect([20, 11, 10, 8].map((ago) => raws('acct-02', 'nps', ago)), 'acct-02 NPS: 9, out of the window, then 2').toEqual([100, 100, null, -100]);
    expect(raws('acct-04', 'champions', 10), 'user-join not yet a member').not.toBe(raws('acct-04', 'champions', 9));
    expect(raws('acct-03', 'nps', 7), 'the anonymous answer before its link').not.toBe(raws('acct-03', 'nps', 6));
  }, 600_000);

  it('answers the same once the queue is folded, and on days before later identity links and joins', async () => {
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    t.app.changeTracker.markProjectChanged(t.project.projectId);
    await expectSameAsFacts([day(12), day(10), day(9), day(8), day(5), day(0)]);
    expect(linkDays.length).toBeGreaterThan(2);
    const beforeLink = addDays(linkDays[Math.floor(linkDays.length / 2)]!, -1);
    await expectSameAsFacts([addDays(beforeLink, -2), addDays(beforeLink, -1), beforeLink]);
  }, 600_000);
});
