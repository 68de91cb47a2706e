import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Database } from './database.ts';
import { distributeTenantTables } from './distribute.ts';
import { migrations } from './migrations/index.ts';

/**
 * Brings the schema up to date. Kysely's Migrator holds a lock, so instances starting together
 * migrate once. On a Citus coordinator, every tenant table is then distributed by project_id
 * (`distribute.ts`; docs/scale-out.md), including tables this run created.
 *
 * @example
 * const applied = await migrateToLatest(db); // → ['2026_11_23_120000_create_core']
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  await distributeTenantTables(db);
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
