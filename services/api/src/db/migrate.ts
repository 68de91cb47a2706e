import { sql, type Kysely } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import type { Database } from './database.ts';
import { distributeTenantTables } from './distribute.ts';
import { migrations } from './migrations/index.ts';

async function migrate(db: Kysely<Database>, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  // A migration is cross-project work (docs/scale-out.md): its backfills read and write every
  // project's rows, so on one connection the fan-out guard a deployment may set is turned off for
  // it (on Postgres and PGlite an unused placeholder), and put back before the connection returns.
  const { error, results = [] } = await db.connection().execute(async (connection) => {
    await sql`set citus.multi_task_query_log_level = 'off'`.execute(connection);
    try {
      return await run(new Migrator({ db: connection, provider: { getMigrations: async () => migrations } }));
    } finally {
      await sql`reset citus.multi_task_query_log_level`.execute(connection);
    }
  });
  if (error) throw error instanceof Error ? error : new Error(String(error));
  await distributeTenantTables(db);
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Brings the schema up to date. Kysely's Migrator holds a lock, so instances starting together
 * migrate once. On a Citus coordinator, every tenant table is then distributed by project_id
 * (`distribute.ts`; docs/scale-out.md), including tables this run created.
 *
 * @example
 * const applied = await migrateToLatest(db); // → ['2026_11_23_120000_create_core']
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return migrate(db, (migrator) => migrator.migrateToLatest());
}

/**
 * Runs the pending migrations up to and including `name` (one of `migrations`), then distributes
 * as `migrateToLatest` does: a database left at an earlier release, as the test of migrations on a
 * cluster that already holds data needs (test/db/citus-migrations.test.ts). Forward only: the
 * migrations have no down steps.
 *
 * @example
 * await migrateTo(db, '2026_12_05_140000_webhooks'); // → the names it applied
 */
export async function migrateTo(db: Kysely<Database>, name: string): Promise<string[]> {
  if (!Object.hasOwn(migrations, name)) throw new Error(`unknown migration ${name}`);
  return migrate(db, (migrator) => migrator.migrateTo(name));
}
