/**
 * Backups as docs/deploy.md describes them, restored into a fresh place, give the same figures:
 * - Postgres: `pg_dump --format=custom` of the service's database, `pg_restore` into a new empty
 *   database, a new app on it (Postgres 15 binaries from /usr/lib/postgresql/15/bin; skipped, with
 *   the reason, without them or without TEST_DATABASE_URL);
 * - PGlite: the data directory copied while the service is stopped, a new app on the copy.
 * The figures compared are the API's own answers (everyone's scores, DAU/WAU/MAU, NPS, the accounts
 * table, a segment's members) asked with the same secret key, which the restored copy must know too.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { DatabaseConfig } from '../../src/config.ts';
import { addDays } from '../../src/domain/days.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { createTestDatabase, initialisedDataDir } from '../support/databases.ts';
import { testConfig } from '../support/test-app.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const data = generateDataset({ seed: 2012, asOf: yesterday, days: 30, accounts: 4 });

const open = (database: DatabaseConfig) => buildApp(testConfig(database), { logger: pino({ level: 'silent' }) });

/** Every page of a paged list route. */
async function allPages(app: FastifyInstance, secretKey: string, url: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  do {
    const response: LightMyRequestResponse = await app.inject({ method: 'GET', url: `${url}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    const page: { items: unknown[]; nextCursor: string | null } = response.json();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** The figures a user of the API sees, as of the dataset's last day. */
async function figures(app: FastifyInstance, secretKey: string) {
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json<unknown>();
  };
  const asOf = data.asOf;
  return {
    userScores: await allPages(app, secretKey, `/v1/scores/users?asOf=${asOf}`),
    accountScores: await allPages(app, secretKey, `/v1/scores/accounts?asOf=${asOf}`),
    active: await get(`/v1/metrics/active?from=${data.from}&to=${asOf}&asOf=${asOf}`),
    nps: await get(`/v1/nps?from=${data.from}&to=${asOf}&asOf=${asOf}`),
    accounts: await allPages(app, secretKey, `/v1/accounts?asOf=${asOf}`),
    lowUtilisation: await allPages(app, secretKey, `/v1/segments/low-utilization/members?asOf=${asOf}`),
  };
}

/** Loads the dataset into a new project of a new app on `database`; returns its figures and secret key. */
async function loadAndMeasure(database: DatabaseConfig) {
  const app = await open(database);
  try {
    const project = await createProject(app.store.db, { name: 'Backup' });
    const ingested = await ingestEvents(app, project.writeKey, data.events);
    expect(ingested.accepted).toBeGreaterThan(1000);
    const before = await figures(app, project.secretKey);
    // A figure of every kind is there, so "identical" compares something.
    expect(before.userScores.length).toBeGreaterThan(10);
    expect((before.active as { days: Array<{ dau: number }> }).days.some((day) => day.dau > 0)).toBe(true);
    return { before, secretKey: project.secretKey };
  } finally {
    await app.close();
  }
}

const pgBinaries = existsSync(join(PG_BIN, 'pg_dump')) && existsSync(join(PG_BIN, 'pg_restore'));
const postgresUrl = process.env['TEST_DATABASE_URL'];
if (!pgBinaries) console.warn(`Postgres backup test skipped: ${PG_BIN}/pg_dump or pg_restore not found (apt-get install -y postgresql-15)`);
if (!postgresUrl) console.warn('Postgres backup test skipped: TEST_DATABASE_URL is not set');

describe.skipIf(!pgBinaries || !postgresUrl)('Postgres: pg_dump, pg_restore into a fresh database', () => {
  const dropAfter: Array<() => Promise<void>> = [];
  const scratch = mkdtempSync(join(tmpdir(), 'uptake-backup-'));
  afterAll(async () => {
    for (const drop of dropAfter) await drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('gives the same scores, DAU, NPS, accounts and segment members, with the same keys', async () => {
    const source = await createTestDatabase('postgres');
    dropAfter.push(source.drop);
    const { before, secretKey } = await loadAndMeasure(source.config);
    const sourceUrl = (source.config as { url: string }).url;

    // As docs/deploy.md says: the custom format (compressed, restorable table by table), no owner.
    const dump = join(scratch, 'uptake.dump');
    execFileSync(join(PG_BIN, 'pg_dump'), ['--format=custom', '--no-owner', `--file=${dump}`, sourceUrl], { stdio: 'pipe' });
    const target = await createTestDatabase('postgres');
    dropAfter.push(target.drop);
    const targetUrl = (target.config as { url: string }).url;
    execFileSync(join(PG_BIN, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${targetUrl}`, dump], { stdio: 'pipe' });

    // The source is gone: only the restored copy answers.
    const admin = new pg.Client({ connectionString: sourceUrl });
    await admin.connect();
    const sourceEvents = (await admin.query<{ n: number }>('select count(*)::int as n from events')).rows[0]!.n;
    await admin.end();
    await source.drop();

    const restored = await open(target.config);
    try {
      expect(await figures(restored, secretKey)).toEqual(before);
      const { n } = (await restored.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
      expect(Number(n)).toBe(sourceEvents);
    } finally {
      await restored.close();
    }
  }, 240_000);
});

describe('PGlite: the data directory copied while the service is stopped', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'uptake-backup-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('gives the same scores, DAU, NPS, accounts and segment members, with the same keys', async () => {
    const dataDir = initialisedDataDir(join(scratch, 'data'));
    const { before, secretKey } = await loadAndMeasure({ kind: 'pglite', dataDir });

    // The app is closed (the service stopped): a plain copy of the folder is the backup.
    const copy = join(scratch, 'restored');
    cpSync(dataDir, copy, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });

    const restored = await open({ kind: 'pglite', dataDir: copy });
    try {
      expect(await figures(restored, secretKey)).toEqual(before);
    } finally {
      await restored.close();
    }
    // A file-backed PGlite is slower than the in-memory one of the route tests.
  }, 240_000);
});
