import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { fillActiveDays } from '../../src/derived/active-days.ts';
import { foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, oracleSnapshot, type OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// GET /v1/retention against a computation written here from the events as sent (through the test
// oracle's snapshot: who each event belongs to as of `to`), by week and by month, for the project
// and each account, for several ranges, on both databases.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 81, asOf: yesterday, days: 100, accounts: 8 });
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
// An anonymous visitor identified later: before the identify, nobody; from it, first seen on the
// first anonymous day (so `to` decides the cohort). A user seen only through an identify (no activity).
const linkDay = addDays(yesterday, -10);
const extra: OracleEvent[] = [
  { type: 'page', messageId: 'r-1', timestamp: at(addDays(yesterday, -30), '10:00'), anonymousId: 'anon-late', name: 'Pricing' },
  { type: 'page', messageId: 'r-2', timestamp: at(addDays(yesterday, -16), '10:00'), anonymousId: 'anon-late', name: 'Pricing' },
  { type: 'identify', messageId: 'r-3', timestamp: at(linkDay, '10:00'), anonymousId: 'anon-late', userId: 'late-user', traits: { role: 'viewer' } },
  { type: 'identify', messageId: 'r-4', timestamp: at(addDays(yesterday, -20), '10:00'), userId: 'silent-user' },
  // A user first seen on their own, with anonymous visits linked to them only later: as of a day
  // before the link those visits are nobody's, though the kept activity (links as they are now) holds them.
  { type: 'track', messageId: 'r-5', timestamp: at(addDays(yesterday, -35), '10:00'), userId: 'split-user', event: 'Report Created' },
  { type: 'page', messageId: 'r-6', timestamp: at(addDays(yesterday, -25), '10:00'), anonymousId: 'anon-split', name: 'Pricing' },
  { type: 'page', messageId: 'r-7', timestamp: at(addDays(yesterday, -14), '10:00'), anonymousId: 'anon-split', name: 'Pricing' },
  { type: 'identify', messageId: 'r-8', timestamp: at(addDays(yesterday, -8), '10:00'), anonymousId: 'anon-split', userId: 'split-user' },
];
const events = [...data.events, ...extra];

type Cohort = { start: string; size: number; periods: Array<{ period: number; start: string; active: number; share: number }> };

/** The period's first day, computed differently from the service: days since Monday 2000-01-03, or the month's first. */
function startOf(day: string, by: 'week' | 'month'): string {
  if (by === 'month') return `${day.slice(0, 8)}01`;
  const days = Math.round((Date.parse(day) - Date.parse('2000-01-03')) / 86_400_000);
  return addDays('2000-01-03', days - (((days % 7) + 7) % 7));
}
function periodsFrom(start: string, to: string, by: 'week' | 'month'): string[] {
  const starts: string[] = [];
  for (let date = new Date(`${start}T00:00:00Z`); date.toISOString().slice(0, 10) <= to; by === 'week' ? date.setUTCDate(date.getUTCDate() + 7) : date.setUTCMonth(date.getUTCMonth() + 1)) {
    starts.push(date.toISOString().slice(0, 10));
  }
  return starts;
}

/** The cohorts as docs/api.md defines them, computed from the events as of `to`. */
function expectedCohorts(by: 'week' | 'month', from: string, to: string, accountId?: string): Cohort[] {
  return expectedCohortsOf(events, by, from, to, accountId);
}

function expectedCohortsOf(sent: OracleEvent[], by: 'week' | 'month', from: string, to: string, accountId?: string): Cohort[] {
  const snapshot = oracleSnapshot(sent, to);
  const users = accountId === undefined ? [...snapshot.userFirstSeen.keys()] : [...(snapshot.members.get(accountId) ?? [])];
  const activePeriods = new Map<string, Set<string>>();
  for (const event of snapshot.events) {
    if (!event.isActivity || event.user === null || event.day < from || event.day > to) continue;
    if (accountId !== undefined && !event.accounts.includes(accountId)) continue;
    const set = activePeriods.get(event.user) ?? new Set<string>();
    set.add(startOf(event.day, by));
    activePeriods.set(event.user, set);
  }
  const cohorts = new Map<string, string[]>();
  for (const user of users) {
    const first = snapshot.userFirstSeen.get(user)!;
    if (first < from || first > to) continue;
    cohorts.set(startOf(first, by), [...(cohorts.get(startOf(first, by)) ?? []), user]);
  }
  return [...cohorts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([start, members]) => ({
      start,
      size: members.length,
      periods: periodsFrom(start, to, by).map((periodStart, period) => {
        const active = members.filter((user) => activePeriods.get(user)?.has(periodStart)).length;
        return { period, start: periodStart, active, share: active / members.length };
      }),
    }));
}

describe.each(testDatabaseKinds)('retention cohorts on %s', (kind) => {
  let t: TestApp;
  const call = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const get = async (url: string) => {
    const response = await call(url);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, events);
  });
  afterAll(async () => t?.close());

  const ranges: Array<{ by: 'week' | 'month'; from: string; to: string }> = [
    { by: 'week', from: addDays(yesterday, -83), to: yesterday },
    { by: 'week', from: addDays(yesterday, -40), to: addDays(yesterday, -12) }, // before the late link: anon-late is nobody yet
    { by: 'month', from: addDays(yesterday, -99), to: yesterday },
    { by: 'month', from: addDays(yesterday, -60), to: addDays(yesterday, -5) },
  ];

  it('answers the project’s cohorts as computed from the events, by week and by month, as of each range’s end', async () => {
    for (const range of ranges) {
      const answer = await get(`/v1/retention?by=${range.by}&from=${range.from}&to=${range.to}`);
      expect(answer, JSON.stringify(range)).toEqual({ ...range, accountId: null, cohorts: expectedCohorts(range.by, range.from, range.to) });
    }
    const cohorts = expectedCohorts('week', addDays(yesterday, -83), yesterday);
    expect(cohorts.length).toBeGreaterThan(5);
    // Retention is not trivially all or nothing in the data.
    expect(cohorts.flatMap((cohort) => cohort.periods.slice(1)).some((period) => period.share > 0 && period.share < 1)).toBe(true);
    // The late-identified visitor counts from its first anonymous day, but only once linked.
    const inCohort = (range: (typeof ranges)[number]) => oracleSnapshot(events, range.to).userFirstSeen.get('late-user');
    expect(inCohort(ranges[0]!)).toBe(addDays(yesterday, -30));
    expect(inCohort(ranges[1]!)).toBeUndefined();
  });

  it('counts the anonymous visits of a user first seen on their own only once linked', async () => {
    const cohortOf = (range: (typeof ranges)[number]) => expectedCohorts(range.by, range.from, range.to).find((cohort) => cohort.start === startOf(addDays(yesterday, -35), range.by))!;
    const linked = expectedCohorts('week', ranges[1]!.from, addDays(yesterday, -8)).find((cohort) => cohort.start === startOf(addDays(yesterday, -35), 'week'))!;
    // Before the link (ranges[1] ends on day −12) the week of day −25 counts fewer active users than once linked.
    expect(cohortOf(ranges[1]!).periods.find((period) => period.start === startOf(addDays(yesterday, -25), 'week'))!.active).toBeLessThan(
      linked.periods.find((period) => period.start === startOf(addDays(yesterday, -25), 'week'))!.active,
    );
  });

  it('answers each account’s cohorts (its users, activity in its events); an account nobody had joined by `to` has none', async () => {
    // Before some accounts had users: their cohorts are empty, not the project's.
    const early = { by: 'week' as const, from: addDays(yesterday, -99), to: addDays(yesterday, -60) };
    const empty = data.accounts.filter((account) => expectedCohorts('week', early.from, early.to, account.accountId).length === 0);
    expect(empty.length).toBeGreaterThan(0);
    expect(empty.length).toBeLessThan(data.accounts.length);
    for (const account of data.accounts) {
      for (const range of [ranges[0]!, ranges[3]!, early]) {
        const answer = await get(`/v1/retention?by=${range.by}&from=${range.from}&to=${range.to}&accountId=${encodeURIComponent(account.accountId)}`);
        expect(answer, `${account.accountId} ${JSON.stringify(range)}`).toEqual({ ...range, accountId: account.accountId, cohorts: expectedCohorts(range.by, range.from, range.to, account.accountId) });
      }
    }
  });

  it('defaults: 84 days by week and 183 by month to today', async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(await get('/v1/retention')).toMatchObject({ by: 'week', from: addDays(today, -83), to: today });
    expect(await get(`/v1/retention?by=month&to=${yesterday}`)).toEqual({ by: 'month', from: addDays(yesterday, -182), to: yesterday, accountId: null, cohorts: expectedCohorts('month', addDays(yesterday, -182), yesterday) });
  });

  it('a new user shows at once', async () => {
    const url = `/v1/retention?by=week&from=${addDays(yesterday, -83)}&to=${yesterday}`;
    const size = (answer: Record<string, any>) => (answer['cohorts'] as Cohort[]).reduce((sum, cohort) => sum + cohort.size, 0);
    const before = size(await get(url));
    const sent = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${t.project.writeKey}` },
      payload: { batch: [{ type: 'track', messageId: 'r-new', timestamp: at(yesterday, '23:00'), userId: 'brand-new', event: 'Report Created' }] },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(size(await get(url))).toBe(before + 1);
  });

  it('refuses hostile parameters with a 400 naming them; an unknown account is a 404', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/retention?by=day', 'by'],
      ['/v1/retention?by=', 'by'],
      ['/v1/retention?from=2026-13-01', 'from'],
      ['/v1/retention?to=yesterday', 'to'],
      ['/v1/retention?to=9999-12-31', 'to'],
      ['/v1/retention?from=1999-01-01&to=2001-01-01', 'from'],
      [`/v1/retention?from=${addDays(yesterday, -400)}&to=${yesterday}`, 'from'], // 401 days
      [`/v1/retention?from=${yesterday}&to=${addDays(yesterday, -1)}`, 'from'],
      ['/v1/retention?accountId=', 'accountId'],
      ['/v1/retention?accountId=a%00b', 'accountId'],
      [`/v1/retention?accountId=${'a'.repeat(201)}`, 'accountId'],
    ];
    for (const [url, path] of cases) {
      const response = await call(url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json(), url).toMatchObject({ error: expect.any(String), path, message: expect.stringContaining(path) });
    }
    expect((await call(`/v1/retention?from=${addDays(yesterday, -399)}&to=${yesterday}`)).statusCode).toBe(200);
    expect((await call('/v1/retention?accountId=nobody-here')).statusCode).toBe(404);
    expect((await call('/v1/retention', t.project.writeKey)).statusCode).toBe(401);
  });
});

const keptRanges = [
  { by: 'week' as const, from: addDays(yesterday, -83), to: yesterday },
  { by: 'week' as const, from: addDays(yesterday, -40), to: addDays(yesterday, -12) }, // before the late links
  { by: 'month' as const, from: addDays(yesterday, -99), to: yesterday },
  { by: 'month' as const, from: addDays(yesterday, -60), to: addDays(yesterday, -5) },
  { by: 'week' as const, from: addDays(yesterday, -40), to: addDays(yesterday, -9) }, // the day before split-user's link
];

// The project's cohorts read from the kept active days (derived/active-days.ts) with their
// correction: every day still queued (the kept days empty), then folded (the kept days hold visits
// linked after the ranges' ends), then one new event queued after the fold.
describe.each(testDatabaseKinds)('retention cohorts from the kept activity on %s', (kind) => {
  let t: TestApp;
  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  const compare = async (extraEvents: OracleEvent[] = []) => {
    for (const range of keptRanges) {
      const answer = await get(`/v1/retention?by=${range.by}&from=${range.from}&to=${range.to}`);
      expect(answer['cohorts'], JSON.stringify(range)).toEqual(expectedCohortsOf([...events, ...extraEvents], range.by, range.from, range.to));
    }
  };

  beforeAll(async () => {
    // No worker: the test folds. Filled before any event, so every active day is queued by ingestion.
    t = await createTestApp(kind, { scorePoints: { run: false } });
    await fillActiveDays(t.app.store.db, t.project.projectId);
    await ingestEvents(t.app, t.project.writeKey, events, { batchSize: 150, seed: 3 });
  });
  afterAll(async () => t?.close());

  it('answers as the events say while every day is still queued', async () => {
    expect(await t.app.store.db.selectFrom('active_day_projects').select('project_id').where('project_id', '=', t.project.projectId).execute()).toHaveLength(1);
    expect(await t.app.store.db.selectFrom('user_active_days').select('user_id').where('project_id', '=', t.project.projectId).execute()).toEqual([]);
    await compare();
  });

  it('answers as the events say once folded, as of days before later links', async () => {
    while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
    const kept = await t.app.store.db.selectFrom('user_active_days').select(sql<string>`day::text`.as('day')).where('project_id', '=', t.project.projectId).where('user_id', '=', 'split-user').execute();
    expect(kept.map((row) => row.day).sort()).toEqual([addDays(yesterday, -35), addDays(yesterday, -25), addDays(yesterday, -14)]);
    await compare();
  });

  const late: OracleEvent = { type: 'track', messageId: 'r-kept-new', timestamp: at(addDays(yesterday, -2), '12:00'), userId: 'kept-new', event: 'Report Created' };

  it('shows an event queued after the fold in the next answer', async () => {
    await ingestEvents(t.app, t.project.writeKey, [late]);
    expect(await t.app.store.db.selectFrom('score_point_queue').select('day').where('project_id', '=', t.project.projectId).execute()).not.toEqual([]);
    await compare([late]);
  });

  // The periods before the last are kept apart from it (query/retention-cohorts.queries.ts
  // `keptRetention`): each batch below follows answers cached for every range.
  it('brings kept answers up to date after events of the last period, of an earlier one, and a link', async () => {
    const sent: OracleEvent[] = [late];
    const batches: OracleEvent[][] = [
      // The last period: someone active again, and someone new.
      [
        { type: 'track', messageId: 'r-up-1', timestamp: at(yesterday, '13:00'), userId: 'split-user', event: 'Report Created' },
        { type: 'track', messageId: 'r-up-2', timestamp: at(yesterday, '13:05'), userId: 'kept-fresh', event: 'Report Created' },
        { type: 'track', messageId: 'r-up-3', timestamp: at(addDays(yesterday, -13), '13:00'), userId: 'kept-fresh-2', event: 'Report Created' },
      ],
      // An earlier period: kept-new was first seen two days ago, now 50 days ago (another cohort).
      [{ type: 'track', messageId: 'r-up-4', timestamp: at(addDays(yesterday, -50), '09:00'), userId: 'kept-new', event: 'Report Created' }],
      // A visit of 45 days ago linked to kept-fresh yesterday: first seen then, as of yesterday.
      [
        { type: 'page', messageId: 'r-up-5', timestamp: at(addDays(yesterday, -45), '09:00'), anonymousId: 'anon-kept', name: 'Pricing' },
        { type: 'identify', messageId: 'r-up-6', timestamp: at(yesterday, '14:00'), anonymousId: 'anon-kept', userId: 'kept-fresh' },
      ],
    ];
    await compare(sent);
    for (const [index, batch] of batches.entries()) {
      sent.push(...batch);
      await ingestEvents(t.app, t.project.writeKey, batch);
      await compare(sent);
      if (index === 0) {
        // Folded: the kept days now hold them; the answers stay the same.
        while ((await foldScorePoints(t.app.store.db, t.project.projectId, 300)) > 0);
        await compare(sent);
      }
    }
  });
});
