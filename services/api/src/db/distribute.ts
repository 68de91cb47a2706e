import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

/** The column every tenant table is distributed by (docs/scale-out.md). */
export const DISTRIBUTION_COLUMN = 'project_id';

/**
 * Tables read by a key rather than by project: a request arrives with a write or secret key and
 * must find its project before it knows its project_id, so these lookups cannot be routed to one
 * shard. They are small (one row per project or retired key), so each becomes a reference table:
 * a full copy on every node, joinable with any shard and readable without a fan-out.
 */
export const REFERENCE_TABLES: readonly string[] = ['projects', 'retired_keys'];

/** Every distributed table is co-located with this one, so joins on project_id stay in one shard. */
export const COLOCATION_ANCHOR = 'events';

/** What distributing did, per table (empty on plain Postgres and PGlite). */
export type DistributionStep = { table: string; as: 'distributed' | 'reference' };

// One key for the advisory lock, so instances migrating together distribute each table once.
const DISTRIBUTION_LOCK = 0x7570_746b;

/** Whether the database is a Citus coordinator (the extension is installed in it). */
export async function hasCitus(db: Kysely<Database>): Promise<boolean> {
  const result = await sql<{ found: boolean }>`select exists (select 1 from pg_extension where extname = 'citus') as found`.execute(db);
  return result.rows[0]?.found === true;
}

type TenantTable = { table: string; distributed: boolean };

/** Every table in the public schema with a project_id column, and whether Citus already owns it. */
async function tenantTables(db: Kysely<Database>): Promise<TenantTable[]> {
  const result = await sql<TenantTable>`
    select c.table_name as table,
           exists (select 1 from pg_dist_partition p where p.logicalrelid = format('public.%I', c.table_name)::regclass) as distributed
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = ${DISTRIBUTION_COLUMN} and t.table_type = 'BASE TABLE'
    order by c.table_name`.execute(db);
  return result.rows;
}

/**
 * On a Citus coordinator, distributes every tenant table (every table with a project_id column,
 * found in the catalogue, so tables added by later migrations are covered without a list) by
 * project_id, co-located with `events`, and makes the key lookups reference tables. Tables that
 * already hold rows are distributed with them (their rows move to the shards and the
 * coordinator's local copy is emptied): that is how an existing installation moves. Runs after
 * every migration; tables Citus already owns are left alone, so it is a no-op once done, and on
 * plain Postgres or PGlite it does nothing.
 *
 * @example
 * await distributeTenantTables(db); // → [{ table: 'events', as: 'distributed' }, …] on a fresh coordinator
 */
export async function distributeTenantTables(db: Kysely<Database>): Promise<DistributionStep[]> {
  if (!(await hasCitus(db))) return [];
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${DISTRIBUTION_LOCK})`.execute(connection);
    try {
      const tables = (await tenantTables(connection)).filter((table) => !table.distributed);
      // The anchor first, so every other table can be co-located with it.
      tables.sort((a, b) => Number(b.table === COLOCATION_ANCHOR) - Number(a.table === COLOCATION_ANCHOR));
      const steps: DistributionStep[] = [];
      for (const { table } of tables) {
        const name = `public.${quoteIdentifier(table)}`;
        if (REFERENCE_TABLES.includes(table)) {
          await sql`select create_reference_table(${name})`.execute(connection);
          steps.push({ table, as: 'reference' });
        } else {
          const colocateWith = table === COLOCATION_ANCHOR ? 'none' : `public.${COLOCATION_ANCHOR}`;
          await sql`select create_distributed_table(${name}, ${DISTRIBUTION_COLUMN}, colocate_with => ${colocateWith})`.execute(connection);
          steps.push({ table, as: 'distributed' });
        }
        // Distributing copies existing rows into the shards and leaves the local ones behind,
        // unread but taking space: remove them.
        await sql`select truncate_local_data_after_distributing_table(${name})`.execute(connection);
      }
      return steps;
    } finally {
      await sql`select pg_advisory_unlock(${DISTRIBUTION_LOCK})`.execute(connection);
    }
  });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
