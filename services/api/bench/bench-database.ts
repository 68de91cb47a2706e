import pg from 'pg';
import { createCitusDatabase } from '../test/support/citus-database.ts';
import { startPostgresCluster } from '../test/support/postgres-cluster.ts';

export type BenchDatabase = { url: string; drop(): Promise<void> };

/** Whether the server at `serverUrl` is a Citus coordinator with workers (its maintenance database has the extension). */
async function isCitusCoordinator(admin: pg.Client): Promise<boolean> {
  const extension = await admin.query("select 1 from pg_extension where extname = 'citus'");
  if (extension.rowCount === 0) return false;
  return (await admin.query('select 1 from pg_dist_node where groupid <> 0')).rowCount! > 0;
}

/**
 * A new database called `name` on the server at `serverUrl`. On a Citus coordinator it is made on
 * every node with the extension (`createCitusDatabase`), so the service's migrations distribute
 * the tables as in production (docs/scale-out.md); elsewhere a plain `create database`.
 */
export async function createBenchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    if (await isCitusCoordinator(admin)) return await createCitusDatabase(serverUrl, { name, fanOutFails: false });
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A fresh, empty database for one benchmark run, so no benchmark depends on data kept from an
 * earlier one (docs/benchmarks.md): on the server `DATABASE_URL` names (a Postgres or a Citus
 * coordinator), or on a throwaway Postgres 15 cluster under /tmp when it is unset. `drop()`
 * removes the database (and the cluster).
 *
 * @example
 * const database = await freshBenchDatabase('uptake_bench_webhooks');
 * try { await measure('Postgres', { DATABASE_URL: database.url }); } finally { await database.drop(); }
 */
export async function freshBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const cluster = process.env['DATABASE_URL'] ? undefined : await startPostgresCluster({ fsync: false });
  const serverUrl = process.env['DATABASE_URL'] ?? cluster!.url;
  const database = await createBenchDatabase(serverUrl, `${prefix}_${Date.now()}_${process.pid}`);
  return {
    url: database.url,
    drop: async () => {
      try {
        await database.drop();
      } finally {
        cluster?.destroy();
      }
    },
  };
}
