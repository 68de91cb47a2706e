/**
 * Several instances share one Postgres: an event acknowledged by one shows in every other one's
 * cached figures within the 5 s the query API promises — also after the listening connection was
 * cut, and after `uptake rebuild` ran in another process. The second instance is a real
 * `uptake serve` process, so nothing in memory is shared with this one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { oracleActiveSeries, oracleRanking, type OracleEvent } from '../support/oracle.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { testConfig } from '../support/test-app.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const FROM = '2026-10-01';
const ASOF = '2026-10-10';
// The query API's promise, with the production staleness bound (4 s) in both instances.
const VISIBLE_WITHIN_MS = 5000;

let sequence = 0;
const track = (userId: string, day: string): OracleEvent => ({ type: 'track', messageId: `cf-${++sequence}`, userId, event: 'Report Created', timestamp: `2026-10-${day}T12:00:00.000Z` });

describe.skipIf(!testDatabaseKinds.includes('postgres'))('instances sharing a Postgres', () => {
  let database: TestDatabase;
  let local: FastifyInstance;
  let other: ServeProcess;
  let project: ProjectKeys;
  const stored: OracleEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    local = await buildApp(testConfig(database.config, { figureMaxStalenessMs: 4000 }), { logger: pino({ level: 'silent' }) });
    project = await createProject(local.store.db, { name: 'two instances' });
    other = await startServeProcess({ DATABASE_URL: (database.config as { url: string }).url, UPTAKE_WARM_FIGURES: '0', UPTAKE_FIGURE_MAX_STALENESS_MS: '4000' });
  });
  afterAll(async () => {
    await other?.stop();
    await local?.close();
    await database?.drop();
  });

  const sendLocal = async (batch: OracleEvent[]) => {
    const response = await local.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
    expect(response.statusCode, response.body).toBe(200);
    stored.push(...batch);
  };
  const sendOther = async (batch: OracleEvent[]) => {
    const response = await fetch(`${other.url}/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${project.writeKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    expect(response.status, await response.clone().text()).toBe(200);
    stored.push(...batch);
  };
  const readLocal = async (url: string) => (await local.inject({ method: 'GET', url, headers: { authorization: `Bearer ${project.secretKey}` } })).json();
  const readOther = async (url: string) => (await fetch(`${other.url}${url}`, { headers: { authorization: `Bearer ${project.secretKey}` } })).json();

  /** Both cached figures (per-day score parts and the activity series) equal the oracle within the promise. */
  const expectVisible = async (read: (url: string) => Promise<any>, step: string) => {
    const started = Date.now();
    const expected = { ranking: oracleRanking(stored, 'users', { asOf: ASOF }), days: oracleActiveSeries(stored, { from: FROM, to: ASOF }).days };
    for (;;) {
      const ranking = (await read(`/v1/scores/users?asOf=${ASOF}&limit=100`)).items.map((item: any) => ({ id: item.userId, score: item.score, percentile: item.percentile }));
      const days = (await read(`/v1/metrics/active?from=${FROM}&to=${ASOF}`)).days;
      const elapsed = Date.now() - started;
      if (JSON.stringify({ ranking, days }) === JSON.stringify(expected)) return elapsed;
      if (elapsed > VISIBLE_WITHIN_MS) expect({ ranking, days }, `${step}: still not visible after ${elapsed} ms`).toEqual(expected);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('events stored by one instance show in the other one within 5 s, both ways', async () => {
    await sendLocal([track('a', '02'), track('b', '03')]);
    // Both instances cache the figures first: only a change announcement can make them recompute.
    await expectVisible(readOther, 'first read');
    await expectVisible(readLocal, 'first read');

    await sendLocal([track('c', '04'), track('a', '04')]);
    expect(await expectVisible(readOther, 'stored here, read there')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    await sendOther([track('d', '05'), track('b', '05'), track('b', '06')]);
    expect(await expectVisible(readLocal, 'stored there, read here')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
  });

  it('after the listening connections were cut, missed changes still show within 5 s', async () => {
    const admin = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await admin.connect();
    try {
      const cut = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`);
      expect(cut.rowCount).toBe(2);
      // Stored while the other instance is not listening: its notification is lost.
      await sendLocal([track('e', '07'), track('a', '07')]);
      expect(await expectVisible(readOther, 'sent while the connection was down')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
      // Both listening again within the reconnection's backoff (at most 5 s), without a request:
      // changes announced from now on arrive as they commit.
      const listening = async () =>
        (await admin.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %'`)).rows[0].n as number;
      for (const deadline = Date.now() + 10_000; (await listening()) < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await listening()).toBe(2);
      await sendOther([track('f', '08')]);
      expect(await expectVisible(readLocal, 'after the reconnection')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    } finally {
      await admin.end();
    }
  });

  it('a rebuild in another process shows in every running instance within 5 s', async () => {
    // An event restored straight into the events table (say, from a backup) is in no derived table until a rebuild.
    const restored = track('g', '09');
    await local.store.pool.query(
      `insert into events (project_id, message_id, type, event, user_id, timestamp, received_at, properties, context, extra)
       values ($1, $2, 'track', $3, $4, $5, now(), '{}', '{}', '{}')`,
      [project.projectId, restored.messageId, restored.event, restored.userId, restored.timestamp],
    );
    // Run without blocking this process: its own app's worker may hold the fold's lock the
    // rebuild waits for, and must be able to finish its transaction meanwhile.
    await promisify(execFile)(process.execPath, [cli, 'rebuild'], { env: { ...process.env, DATABASE_URL: (database.config as { url: string }).url, LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    stored.push(restored);
    expect(await expectVisible(readOther, 'rebuilt, read there')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    expect(await expectVisible(readLocal, 'rebuilt, read here')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
  });
});

describe.skipIf(!testDatabaseKinds.includes('postgres'))('two apps in one process sharing a Postgres', () => {
  it('keep change trackers of their own and see each other\'s events through the change feed within 5 s', async () => {
    const database = await createTestDatabase('postgres');
    const config = testConfig(database.config, { figureMaxStalenessMs: 4000 });
    const first = await buildApp(config, { logger: pino({ level: 'silent' }) });
    const second = await buildApp(config, { logger: pino({ level: 'silent' }) });
    try {
      expect(first.changeTracker).not.toBe(second.changeTracker);
      const keys = await createProject(first.store.db, { name: 'two apps' });
      const events: OracleEvent[] = [];
      const send = async (batch: OracleEvent[]) => {
        const response = await first.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${keys.writeKey}` }, payload: { batch } });
        expect(response.statusCode, response.body).toBe(200);
        events.push(...batch);
      };
      const url = `/v1/metrics/active?from=${FROM}&to=${ASOF}`;
      const visibleInSecond = async (step: string) => {
        const started = Date.now();
        const expected = oracleActiveSeries(events, { from: FROM, to: ASOF }).days;
        for (;;) {
          const days = (await second.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keys.secretKey}` } })).json().days;
          const elapsed = Date.now() - started;
          if (JSON.stringify(days) === JSON.stringify(expected)) return elapsed;
          if (elapsed > VISIBLE_WITHIN_MS) expect(days, `${step}: still not visible after ${elapsed} ms`).toEqual(expected);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await send([track('p', '02')]);
      // The second app caches the series: only the first app's announcement can make it recompute.
      await visibleInSecond('first read');
      await send([track('q', '03'), track('p', '04')]);
      expect(await visibleInSecond('stored through the first app')).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    } finally {
      await second.close();
      await first.close();
      await database.drop();
    }
  });
});
