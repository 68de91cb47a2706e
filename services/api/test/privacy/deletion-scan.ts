import { sql, type Kysely } from 'kysely';
import { acrossProjects } from '../../src/db/across-projects.ts';
import type { Database } from '../../src/db/database.ts';

/**
 * Every place in the database where one of `needles` is found: each text, jsonb, json and array
 * column of each table (read from information_schema, so a new table is scanned too), as
 * `table.column`. Used to prove a deleted person can no longer be found.
 */
export async function findAnywhere(db: Kysely<Database>, needles: string[], projectId?: string): Promise<string[]> {
  // Every table, and without projectId every project's rows: a read across projects (on Citus,
  // across shards), named as such.
  return acrossProjects(db, (trx) => findIn(trx, needles, projectId));
}

async function findIn(db: Kysely<Database>, needles: string[], projectId?: string): Promise<string[]> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and (data_type in ('text', 'jsonb', 'json', 'ARRAY', 'character varying'))
    order by table_name, column_name`.execute(db);
  const { rows: scoped } = await sql<{ table_name: string }>`
    select table_name from information_schema.columns where table_schema = current_schema() and column_name = 'project_id'`.execute(db);
  const hasProject = new Set(scoped.map((row) => row.table_name));
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    for (const needle of needles) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from ${sql.table(table_name)} where strpos(${sql.ref(column_name)}::text, ${needle}) > 0
        ${projectId !== undefined && hasProject.has(table_name) ? sql`and project_id = ${projectId}` : sql``}`.execute(db);
      if (rows[0]!.n > 0) found.push(`${table_name}.${column_name} holds ${JSON.stringify(needle)} (${rows[0]!.n} rows)`);
    }
  }
  return found;
}
