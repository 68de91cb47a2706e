import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { DISTRIBUTION_COLUMN, REFERENCE_TABLES } from './distribute.ts';

/** Tables of the migration tool itself: they stay on the coordinator and hold no tenant data. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/**
 * Where the schema breaks Citus' rules for a table distributed by project_id (docs/scale-out.md,
 * "The distributed schema"), read from the catalogue of any Postgres (PGlite included), so
 * single-node development cannot drift away from what a cluster accepts:
 * - every table has a project_id column (one without would stay on the coordinator, and joining
 *   it with a shard would cross nodes);
 * - every primary key, unique constraint and unique index of a distributed table contains
 *   project_id (Citus can only enforce uniqueness inside one shard);
 * - every foreign key between tenant tables includes project_id on both sides (co-located), and
 *   none points from a reference table to a distributed one.
 * Answers one line per breach, empty when the schema obeys.
 *
 * @example
 * await distributionRuleBreaches(db); // → [] for Uptake's migrations
 */
export async function distributionRuleBreaches(db: Kysely<Database>): Promise<string[]> {
  const breaches: string[] = [];
  const tables = await sql<{ table: string; tenant: boolean }>`
    select t.table_name as table,
           exists (select 1 from information_schema.columns c
                   where c.table_schema = t.table_schema and c.table_name = t.table_name and c.column_name = ${DISTRIBUTION_COLUMN}) as tenant
    from information_schema.tables t
    where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by t.table_name`.execute(db);
  for (const { table, tenant } of tables.rows) {
    if (!tenant && !MIGRATOR_TABLES.includes(table)) breaches.push(`${table}: no ${DISTRIBUTION_COLUMN} column`);
  }
  const distributed = (table: string) => !REFERENCE_TABLES.includes(table) && !MIGRATOR_TABLES.includes(table);

  const uniques = await sql<{ table: string; name: string; columns: string[] }>`
    select i.indrelid::regclass::text as table, c.relname as name,
           array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as columns
    from pg_index i
    join pg_class c on c.oid = i.indexrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and i.indisunique
    order by 1, 2`.execute(db);
  for (const { table, name, columns } of uniques.rows) {
    if (distributed(table) && !columns.includes(DISTRIBUTION_COLUMN)) breaches.push(`${table}: unique ${name} (${columns.join(', ')}) does not contain ${DISTRIBUTION_COLUMN}`);
  }

  const foreignKeys = await sql<{ table: string; name: string; referenced: string; columns: string[]; referencedColumns: string[] }>`
    select k.conrelid::regclass::text as table, k.conname as name, k.confrelid::regclass::text as referenced,
           array(select a.attname::text from unnest(k.conkey) x join pg_attribute a on a.attrelid = k.conrelid and a.attnum = x) as columns,
           array(select a.attname::text from unnest(k.confkey) x join pg_attribute a on a.attrelid = k.confrelid and a.attnum = x) as "referencedColumns"
    from pg_constraint k
    where k.contype = 'f' and k.connamespace = 'public'::regnamespace
    order by 1, 2`.execute(db);
  for (const key of foreignKeys.rows) {
    const from = distributed(key.table);
    const to = distributed(key.referenced);
    if (!from && to) breaches.push(`${key.table}: foreign key ${key.name} points from a reference table to the distributed ${key.referenced}`);
    if (from && to) {
      const at = key.columns.indexOf(DISTRIBUTION_COLUMN);
      if (at < 0 || key.referencedColumns[at] !== DISTRIBUTION_COLUMN) {
        breaches.push(`${key.table}: foreign key ${key.name} to ${key.referenced} does not pair ${DISTRIBUTION_COLUMN} with ${DISTRIBUTION_COLUMN}`);
      }
    }
  }
  return breaches;
}
