import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.ts';
import { citusTestUrl, createCitusDatabase } from './citus-database.ts';
import { PGLITE_DIR_ENV, PGLITE_TEMPLATE } from './pglite-dirs.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

/**
 * The databases every route test runs on: embedded PGlite always, and the real Postgres server
 * named by TEST_DATABASE_URL when it is set (CI sets it). With TEST_CITUS_URL set, the Postgres
 * path runs on that Citus cluster instead, alone (the PGlite path has run without it).
 */
export const testDatabaseKinds: TestDatabaseKind[] = citusTestUrl ? ['postgres'] : process.env['TEST_DATABASE_URL'] ? ['pglite', 'postgres'] : ['pglite'];

export type TestDatabase = { config: DatabaseConfig; drop(): Promise<void> };

/**
 * `dataDir` holding the run's initialised PGlite template (test/support/pglite-template.ts), as a
 * data dir is once PGlite first opened it: whoever opens it next, this process or an
 * `uptake … --data-dir` child, skips initdb (2–5 s of CPU in WebAssembly). Made if missing; left
 * as it is, for initdb to run, when the run made no template. A test of the very first open
 * (`uptake start` on a new machine) takes a plain empty dir instead.
 */
export function initialisedDataDir(dataDir: string): string {
  const runDir = process.env[PGLITE_DIR_ENV];
  if (runDir) cpSync(join(runDir, PGLITE_TEMPLATE), dataDir, { recursive: true });
  return dataDir;
}

/**
 * A fresh, empty PGlite: a copy of the run's initialised template dir, or in-memory PGlite
 * (initdb each time) when no template was made (a run without that globalSetup).
 */
function freshPglite(): TestDatabase {
  const runDir = process.env[PGLITE_DIR_ENV];
  if (!runDir) return { config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} };
  const dataDir = initialisedDataDir(mkdtempSync(join(runDir, 'db-')));
  return { config: { kind: 'pglite', dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** A fresh, empty database: PGlite, or a new database on the test server. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') return freshPglite();
  if (citusTestUrl) {
    const citus = await createCitusDatabase(citusTestUrl);
    return { config: { kind: 'postgres', url: citus.url, poolSize: 10, queryTimeoutMs: 30_000 }, drop: citus.drop };
  }
  const serverUrl = process.env['TEST_DATABASE_URL'];
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `uptake_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize: 10, queryTimeoutMs: 30_000 },
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
