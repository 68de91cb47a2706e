import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openStore, type Store } from '../db/connect.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { fail, warn, type Check } from './check.ts';
import { configChecks } from './config-checks.ts';
import { databaseChecks, databaseReachable, describeDatabase, type DatabaseCheckOptions } from './database-checks.ts';

/**
 * `uptake doctor`: checks a deployment and says what to fix (README.md, "uptake doctor"). Changes
 * nothing: it never migrates, and never creates a PGlite data dir that is not there.
 *
 * @example
 * const checks = await runDoctor(loadConfig(process.env), { keysDir: '.uptake' });
 * process.stdout.write(formatChecks(checks)); process.exitCode = doctorExitCode(checks);
 */
export async function runDoctor(config: Config, options: Partial<DatabaseCheckOptions> & { keysDir: string }): Promise<Check[]> {
  const checks = configChecks(config);
  const opened = await openDatabase(config);
  if ('check' in opened) return [...checks, opened.check];
  try {
    const reachable = await databaseReachable(opened.store.db, config.database);
    checks.push(reachable);
    if (reachable.level === 'fail') return checks;
    checks.push(...(await databaseChecks(opened.store.db, config.database, { now: options.now ?? Date.now, keysDir: options.keysDir })));
    return checks;
  } finally {
    await opened.store.close().catch(() => {});
  }
}

async function openDatabase(config: Config): Promise<{ store: Store } | { check: Check }> {
  const database = config.database;
  if (database.kind === 'pglite' && !database.dataDir.startsWith('memory://') && !existsSync(join(database.dataDir, 'pglite'))) {
    return { check: fail('database', `no database in ${database.dataDir} (no ${join(database.dataDir, 'pglite')})`, 'give the data dir the service uses (--data-dir, UPTAKE_DATA_DIR), or set DATABASE_URL; `uptake migrate` creates a new one') };
  }
  try {
    return { store: await openStore(database) };
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      return { check: warn('database', `${error.message}: embedded PGlite allows one process, so the database cannot be checked while the service runs`, 'stop the service to check its database (Postgres deployments are checked live)') };
    }
    return { check: fail('database', `${describeDatabase(database)} cannot be opened: ${error instanceof Error ? error.message : String(error)}`, 'check the data dir and its permissions') };
  }
}
