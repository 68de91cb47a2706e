/**
 * Later migrations on a Citus cluster that already holds data (docs/scale-out.md, "Migrations on a
 * cluster"): a database migrated to an earlier release, filled and distributed, then taken through
 * every later migration one by one, each on distributed tables holding rows. A future migration
 * that Citus refuses there (a foreign key a distributed table cannot take, an UPDATE with a
 * function that is not IMMUTABLE, a backfill that only works on one node) fails this test.
 * Skipped, saying why, without a cluster (TEST_CITUS_URL).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { pino } from 'pino';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { openStore } from '../../src/db/connect.ts';
import { migrateTo } from '../../src/db/migrate.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { citusSkipReason, citusTestUrl, createCitusDatabase } from '../support/citus-database.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { routeAnswers } from '../support/route-answers.ts';
import { testConfig } from '../support/test-app.ts';

const silent = pino({ level: 'silent' });
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

/**
 * The release the cluster starts from: the first migration, so every later one (and every future
 * one, which lands after it) runs on distributed tables that hold rows.
 */
const STARTING_MIGRATION = Object.keys(migrations)[0]!;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Each public table's columns in the database at `url` (the migration tool's own tables left out). */
async function columnsByTable(url: string): Promise<Map<string, string[]>> {
  const rows = await withClient(url, async (client) =>
    (await client.query<{ table_name: string; column_name: string }>(
      `select c.table_name, c.column_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
       where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name not like 'kysely%'
       order by c.table_name, c.ordinal_position`,
    )).rows,
  );
  const tables = new Map<string, string[]>();
  for (const row of rows) tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row.column_name]);
  return tables;
}

describe.skipIf(citusSkipReason !== undefined)('later migrations on a cluster that holds data', () => {
  const singleName = `uptake_migrations_${randomBytes(5).toString('hex')}`;
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops.reverse()) await drop();
  });

  it(`takes every migration after ${STARTING_MIGRATION} one by one on distributed tables holding rows, and answers every figure as a single Postgres does`, async () => {
    // The rows: a project's events through the API into a single Postgres (a database without
    // the extension on the coordinator's server), with the latest schema.
    await withClient(citusTestUrl!, (client) => client.query(`create database ${singleName}`));
    drops.push(() => withClient(citusTestUrl!, async (client) => void (await client.query(`drop database if exists ${singleName} with (force)`))));
    const singleUrl = Object.assign(new URL(citusTestUrl!), { pathname: `/${singleName}` }).toString();
    const single = await buildApp(testConfig({ kind: 'postgres', url: singleUrl, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });
    const data = generateDataset({ seed: 11, asOf: yesterday, days: 40, accounts: 4 });
    const accountIds = [...new Set(data.events.flatMap((event) => (event.type === 'group' && event.groupId ? [event.groupId] : [])))];
    let keys: Awaited<ReturnType<typeof createProject>>;
    let expected: Record<string, unknown>;
    try {
      keys = await createProject(single.store.db, { name: 'Migrating' });
      await ingestEvents(single, keys.writeKey, data.events, { batchSize: 200, seed: 5 });
      expected = await routeAnswers(single, keys.secretKey, accountIds, yesterday);
    } finally {
      await single.close();
    }

    // The cluster's database at the starting release, distributed (migrateTo distributes as
    // `uptake migrate` does), with the fan-out guard on (FAN_OUT_FAILS): migrations must turn it
    // off for themselves, as cross-project work.
    const cluster = await createCitusDatabase(citusTestUrl!);
    drops.push(cluster.drop);
    const store = await openStore({ kind: 'postgres', url: cluster.url, poolSize: 3, queryTimeoutMs: 60_000 });
    try {
      await migrateTo(store.db, STARTING_MIGRATION);
      // The rows of every table that exists at that release, in the columns it has then.
      const early = await columnsByTable(cluster.url);
      const latest = await columnsByTable(singleUrl);
      for (const [table, columns] of early) {
        const shared = columns.filter((column) => latest.get(table)?.includes(column));
        const rows = await withClient(singleUrl, async (client) => (await client.query<{ rows: unknown }>(`select coalesce(json_agg(t), '[]') as rows from "${table}" t`)).rows[0]!.rows);
        const list = shared.map((column) => `"${column}"`).join(', ');
        await acrossProjects(store.db, (trx) =>
          sql`insert into ${sql.table(table)} (${sql.raw(list)}) overriding system value select ${sql.raw(list)} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`.execute(trx),
        );
      }
      const [{ events }] = (await acrossProjects(store.db, (trx) => sql<{ events: number }>`select count(*)::int as events from events`.execute(trx))).rows as [{ events: number }];
      expect(events).toBe(new Set(data.events.map((event) => event.messageId)).size);

      // Every later migration on its own, as releases would bring them.
      const later = Object.keys(migrations).slice(Object.keys(migrations).indexOf(STARTING_MIGRATION) + 1);
      expect(later.length).toBeGreaterThan(0);
      for (const name of later) {
        const applied = await migrateTo(store.db, name).catch((error: Error) => {
          throw new Error(`migration ${name} on a distributed database holding rows: ${error.message}`);
        });
        expect(applied).toEqual([name]);
      }

      const tables = (await sql<{ table_name: string; citus_table_type: string; colocation_id: number }>`select table_name::text, citus_table_type, colocation_id from citus_tables order by 1`.execute(store.db)).rows;
      const tenant = [...(await columnsByTable(cluster.url)).entries()].filter(([, columns]) => columns.includes('project_id')).map(([table]) => table).sort();
      expect(tables.map((table) => table.table_name).sort()).toEqual(tenant);
      expect(new Set(tables.filter((table) => table.citus_table_type === 'distributed').map((table) => table.colocation_id)).size, 'one co-location group').toBe(1);

      // The derived tables made again from the stored rows (`uptake rebuild`), then every figure
      // as the single Postgres answered it.
      await rebuildDerivedTables(store.db, createChangeTracker());
    } finally {
      await store.close();
    }
    const app = await buildApp(testConfig({ kind: 'postgres', url: cluster.url, poolSize: 5, queryTimeoutMs: 30_000 }), { logger: silent });
    try {
      expect(await routeAnswers(app, keys.secretKey, accountIds, yesterday)).toEqual(expected);
    } finally {
      await app.close();
    }
  }, 600_000);
});

if (citusSkipReason) describe.skip(`later migrations on a Citus cluster (${citusSkipReason})`, () => it('runs on a Citus cluster', () => {}));
