/**
 * Memory bounded by design: the figure cache holds at most its byte bound whatever keys (`asOf`
 * days, …) and ids are asked, dropping the least recently used figures, and a dropped figure or an
 * id numbering started anew never changes an answer (figures equal the oracle's under a bound so
 * small that nearly nothing stays cached and numberings are replaced all the time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/days.ts';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { inOneNumbering, numberOf, type NumberedIds } from '../../src/query/id-numbers.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { oracleActiveSeries, oracleRanking, oracleSegmentMembers } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('figure cache memory bound', () => {
  it('stays under its byte bound over thousands of distinct asOf keys, dropping the least recently used', async () => {
    const maxBytes = 400_000;
    const cache = createFigureCache({ versions: createChangeTracker(), maxStalenessMs: 0, maxBytes });
    const computed = new Map<string, number>();
    // A figure of a few tens of KB per asOf day: its ids, as a score table would hold them.
    const figureOf = (asOf: string) => Array.from({ length: 300 }, (_, index) => `user-${index}-${asOf}`);
    const ask = (asOf: string) =>
      cache.get('memory-project', `users:${asOf}`, async () => {
        computed.set(asOf, (computed.get(asOf) ?? 0) + 1);
        return figureOf(asOf);
      });
    const days = Array.from({ length: 2000 }, (_, index) => addDays('2020-01-01', index));
    for (const [index, day] of days.entries()) {
      expect(await ask(day)).toEqual(figureOf(day));
      // A figure asked all the time is the last to go.
      if (index % 5 === 0) await ask('hot');
      expect(cache.accountedBytes()).toBeLessThanOrEqual(maxBytes);
    }
    expect(computed.get('hot')).toBe(1);
    // The first days were dropped: asked again, they are computed again, and right.
    expect(await ask(days[0]!)).toEqual(figureOf(days[0]!));
    expect(computed.get(days[0]!)).toBe(2);
    expect(cache.accountedBytes()).toBeLessThanOrEqual(maxBytes);
  });

  it('counts the id numberings the cached parts hold, starts new ones when full, and combines parts of different numberings by id', async () => {
    const maxBytes = 300_000;
    const cache = createFigureCache({ versions: createChangeTracker(), maxStalenessMs: 0, maxBytes });
    // 120 days, each with 150 users of its own and 50 shared by every day: 18,050 distinct ids.
    const usersOn = (day: string) => [...Array.from({ length: 150 }, (_, index) => `${day}-u${index}`), ...Array.from({ length: 50 }, (_, index) => `shared-${index}`)];
    const days = Array.from({ length: 120 }, (_, index) => addDays('2026-01-01', index));
    const numberings = new Set<unknown>();
    for (let end = 10; end <= days.length; end += 10) {
      const window = days.slice(Math.max(0, end - 30), end);
      const parts = await cache.days('numbered-project', 'active-users:x', window, async (day): Promise<NumberedIds> => {
        const numbering = cache.numbering('numbered-project', 'users');
        numberings.add(numbering);
        return { numbering, numbers: Int32Array.from(usersOn(day), (id) => numberOf(numbering, id)) };
      });
      const { ids, numbers } = inOneNumbering(parts);
      numbers.forEach((dayNumbers, index) => expect([...dayNumbers].map((number) => ids[number])).toEqual(usersOn(window[index]!)));
      expect(cache.accountedBytes()).toBeLessThanOrEqual(maxBytes);
    }
    // Far more ids than one numbering may hold: several were used, none grew past the bound.
    expect(numberings.size).toBeGreaterThan(2);
  });
});

describe.each(testDatabaseKinds)('figures under a tiny memory bound on %s', (kind) => {
  const asOf = addDays(new Date().toISOString().slice(0, 10), -1);
  const data = generateDataset({ seed: 77, asOf, days: 70, accounts: 6 });
  let t: TestApp;
  beforeAll(async () => {
    // 8 KB: hardly a day part stays cached, and a numbering fills after about twenty ids.
    t = await createTestApp(kind, { figureCacheMaxBytes: 8_000 });
    await ingestEvents(t.app, t.project.writeKey, data.events);
  });
  afterAll(async () => t?.close());

  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  it('answer as the oracle, asked twice over many asOf days (recomputed after being dropped)', async () => {
    for (const round of [1, 2]) {
      for (const back of [0, 3, 17, 31]) {
        const day = addDays(asOf, -back);
        const from = addDays(day, -20);
        expect((await get(`/v1/metrics/active?from=${from}&to=${day}`))['days'], `active to ${day}, round ${round}`).toEqual(oracleActiveSeries(data.events, { from, to: day }).days);
        const ranked = (await get(`/v1/scores/users?asOf=${day}&limit=1000`))['items'].map((item: Record<string, unknown>) => ({ id: item['userId'], score: item['score'], percentile: item['percentile'] }));
        expect(ranked, `scores as of ${day}`).toEqual(oracleRanking(data.events, 'users', { asOf: day }));
        for (const key of ['usage-drop', 'weekly-active', 'low-utilization', 'expansion-ready'] as const) {
          const members = (await get(`/v1/segments/${key}/members?asOf=${day}&limit=1000`))['items'].map((item: Record<string, unknown>) => item['accountId']);
          expect(members, `${key} as of ${day}, round ${round}`).toEqual(oracleSegmentMembers(data.events, key, { asOf: day }));
        }
      }
    }
    // Nothing stays cached under 8 KB: every read computes every figure it needs from nothing,
    // each window figure in its two reads (the days before the last, the last), 20–40 s on PGlite.
  }, 180_000);
});
