import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays } from '../support/oracle.ts';
import { testConfig } from '../support/test-app.ts';

// The warm-up at start (query/warm-figures.ts, UPTAKE_WARM_FIGURES) and /readyz waiting for it
// (UPTAKE_READY_WHEN_WARM): a service started on a database with data answers 503 warming_up
// until its figures are computed, and then the first calls a dashboard and a backend make compute
// none of the warmed figures again (uptake_figure_lookups_total, result "computed").
const today = new Date().toISOString().slice(0, 10);
const yesterday = addDays(today, -1);
const data = generateDataset({ seed: 5150, asOf: today, days: 40, accounts: 5 });
/** The figures the warm-up computes, by their metric labels (query/figure-cache.ts `figureOf`; retention's depends on whether the active days are kept yet). */
const WARMED = ['users', 'accounts', 'segment-facts', 'groups', 'nps', 'retention retention-kept'];
/** A quiet service: no worker or watcher computes figures beside the warm-up. */
const quiet: Partial<Config> = { segmentWatch: false, scorePoints: { run: false } };

describe.each(testDatabaseKinds)('figures warmed at start, and /readyz waiting for them, on %s', (kind) => {
  let database: TestDatabase;
  let project: ProjectKeys;
  const start = (overrides: Partial<Config>) => buildApp(testConfig(database.config, { ...quiet, ...overrides }), { logger: pino({ level: 'silent' }) });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const loader = await start({});
    project = await createProject(loader.store.db, { name: 'Warm' });
    await ingestEvents(loader, project.writeKey, data.events, { batchSize: 200, seed: 7 });
    await loader.close();
  });
  afterAll(async () => database?.drop());

  /** `uptake_figure_lookups_total` of the query cache per figure and result. */
  const lookups = async (service: FastifyInstance) => {
    const text = (await service.inject({ method: 'GET', url: '/metrics' })).body;
    const counts = new Map<string, number>();
    for (const [, figure, result, value] of text.matchAll(/^uptake_figure_lookups_total\{cache="query",figure="([^"]+)",result="([^"]+)"\} (\d+)$/gm)) counts.set(`${figure} ${result}`, Number(value));
    return (figures: string, result: string) => figures.split(' ').reduce((sum, figure) => sum + (counts.get(`${figure} ${result}`) ?? 0), 0);
  };

  async function untilReady(service: FastifyInstance) {
    const seen: number[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 25))) {
      const response = await service.inject({ method: 'GET', url: '/readyz' });
      seen.push(response.statusCode);
      if (response.statusCode === 200) return seen;
      expect(response.json()).toMatchObject({ error: 'warming_up' });
      expect(response.headers['retry-after']).toBe('1');
    }
    throw new Error(`not ready within 60 s: ${seen.length} answers`);
  }

  it.runIf(kind === 'postgres')('answers 503 warming_up while the warm-up waits, then 200', async () => {
    // Another connection holds the score models, so the warm-up cannot get past its first project.
    const blocker = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table score_models in access exclusive mode');
      const service = await start({ warmFigures: true, readyWhenWarm: true });
      try {
        for (let i = 0; i < 3; i++) {
          const response = await service.inject({ method: 'GET', url: '/readyz' });
          expect(response.statusCode).toBe(503);
          expect(response.json()).toMatchObject({ error: 'warming_up' });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await blocker.query('commit');
        expect((await untilReady(service)).at(-1)).toBe(200);
      } finally {
        await blocker.query('rollback').catch(() => {});
        await service.close();
      }
    } finally {
      await blocker.end();
    }
  }, 120_000);

  it.runIf(kind === 'postgres')('tries again when a read waits past the pool’s limit, and says ready only once the figures are warm', async () => {
    // One connection, and the per-day counts locked for 4.5 s: the warm-up's first score table
    // holds the connection, waiting for the lock, and its second waits for the connection past 3 s.
    const blocker = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await blocker.connect();
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    try {
      await blocker.query('begin');
      await blocker.query('lock table user_day_events in access exclusive mode');
      setTimeout(() => void blocker.query('commit'), 4500);
      const service = await buildApp(testConfig({ ...(database.config as Extract<Config['database'], { kind: 'postgres' }>), poolSize: 1 }, { ...quiet, warmFigures: true, readyWhenWarm: true }), { logger });
      try {
        // /readyz itself may wait for the one connection meanwhile (503 storage_unavailable).
        for (const deadline = Date.now() + 60_000; (await service.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200; await new Promise((resolve) => setTimeout(resolve, 50))) {
          expect(Date.now()).toBeLessThan(deadline);
        }
        expect(lines.some((line) => line.msg.startsWith('warming figures: the database was busy or out of reach'))).toBe(true);
        expect(lines.some((line) => line.msg === 'figures warmed')).toBe(true);
        const computed = await lookups(service);
        for (const figure of WARMED) expect(computed(figure, 'computed'), `${figure} computed by the warm-up`).toBeGreaterThan(0);
      } finally {
        await service.close();
      }
    } finally {
      await blocker.query('rollback').catch(() => {});
      await blocker.end();
    }
  }, 120_000);

  it('serves the first calls of a dashboard and a backend from the figures warmed before /readyz said ready', async () => {
    const app = await start({ warmFigures: true, readyWhenWarm: true });
    try {
      await untilReady(app);
      const before = await lookups(app);
      for (const figure of WARMED) expect(before(figure, 'computed'), `${figure} computed by the warm-up`).toBeGreaterThan(0);
      const headers = { authorization: `Bearer ${project.secretKey}` };
      const userId = data.events.find((event) => event.userId !== undefined)!.userId!;
      // As a backend asks (today, the default) and as the dashboard's overview and segment pages do.
      for (const url of [
        `/v1/users/${encodeURIComponent(userId)}/score`,
        '/v1/scores/accounts',
        '/v1/segments/dormant/members',
        '/v1/accounts?sort=health',
        '/v1/groups',
        `/v1/nps?asOf=${yesterday}`,
        `/v1/retention?by=week&to=${yesterday}`,
      ]) {
        const response = await app.inject({ method: 'GET', url, headers });
        expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      }
      const after = await lookups(app);
      for (const figure of WARMED) {
        expect(after(figure, 'computed'), `${figure} computed again`).toBe(before(figure, 'computed'));
        expect(after(figure, 'fresh'), `${figure} served`).toBeGreaterThan(before(figure, 'fresh'));
      }
    } finally {
      await app.close();
    }
  }, 120_000);

  it('warns, naming the size to give UPTAKE_FIGURE_CACHE_MB, when the bound drops figures just warmed; not otherwise', async () => {
    for (const figureCacheMaxBytes of [256 * 1024, undefined]) {
      const lines: { level: number; msg: string; dropped?: number; cacheMb?: number; suggestedMb?: number }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const service = await buildApp(testConfig(database.config, { ...quiet, warmFigures: true, readyWhenWarm: true, ...(figureCacheMaxBytes ? { figureCacheMaxBytes } : {}) }), { logger });
      try {
        await untilReady(service);
        const metrics = (await service.inject({ method: 'GET', url: '/metrics' })).body;
        const dropped = [...metrics.matchAll(/^uptake_figure_cache_dropped_total\{cache="query",figure="[^"]+"\} (\d+)$/gm)].reduce((sum, [, value]) => sum + Number(value), 0);
        const warnings = lines.filter((line) => line.level === 40 && line.msg.startsWith('the figure cache dropped'));
        expect(lines.some((line) => line.msg === 'figures warmed')).toBe(true);
        if (figureCacheMaxBytes === undefined) {
          expect(warnings).toEqual([]);
          expect(dropped).toBe(0);
          continue;
        }
        expect(warnings).toHaveLength(1);
        const warning = warnings[0]!;
        expect(warning.dropped).toBeGreaterThan(0);
        expect(dropped).toBeGreaterThanOrEqual(warning.dropped!);
        // Twice what the warmed figures take (the bound's hold plus what it dropped), in whole 256 MB, and above the bound.
        expect(warning.cacheMb).toBe(0.25);
        expect(warning.suggestedMb).toBe(256);
        expect(warning.msg).toBe(`the figure cache dropped ${warning.dropped} of the figures just warmed: raise UPTAKE_FIGURE_CACHE_MB from 0.25 to about 256`);
      } finally {
        await service.close();
      }
    }
  }, 120_000);

  it('answers ready at once without UPTAKE_READY_WHEN_WARM (the warm-up runs in the background)', async () => {
    const service = await start({ warmFigures: true });
    try {
      expect((await service.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    } finally {
      await service.close();
    }
  }, 60_000);
});
