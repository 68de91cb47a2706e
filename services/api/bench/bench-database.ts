import pg from 'pg';
import { startPostgresCluster } from '../test/support/postgres-cluster.ts';

export type BenchDatabase = { url: string; drop(): Promise<void> };

/**
 * A fresh, empty database for one benchmark run, so no benchmark depends on data kept from an
 * earlier one (docs/benchmarks.md): on the server `DATABASE_URL` names, or on a throwaway Postgres
 * 15 cluster under /tmp when it is unset. `drop()` removes the database (and the cluster).
 *
 * @example
 * const database = await freshBenchDatabase('uptake_bench_webhooks');
 * try { await measure('Postgres', { DATABASE_URL: database.url }); } finally { await database.drop(); }
 */
export async function freshBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const cluster = process.env['DATABASE_URL'] ? undefined : await startPostgresCluster({ fsync: false });
  const serverUrl = process.env['DATABASE_URL'] ?? cluster!.url;
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      cluster?.destroy();
    },
  };
}
