import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The coordinator of the local Citus cluster the Postgres-path tests run on when TEST_CITUS_URL
 * is set (`scripts/citus-cluster.sh start` prints it). Unset, those tests run on TEST_DATABASE_URL.
 */
export const citusTestUrl = process.env['TEST_CITUS_URL'];

/** Why the Citus-only tests skip here, or undefined when they run. */
export const citusSkipReason = citusTestUrl ? undefined : 'TEST_CITUS_URL is not set (start a cluster with scripts/citus-cluster.sh; docs/scale-out.md)';

/**
 * What every app connection of a Citus test runs with: a query of one project that would fan out
 * to several shards fails instead (docs/scale-out.md, "Every request on one shard"). Cross-project
 * work turns it off for its own transaction (`db/across-projects.ts`).
 */
export const FAN_OUT_FAILS = "citus.multi_task_query_log_level = 'error'";

/** Runs statements one after the other on a connection of their own. */
export async function run(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

const withDatabase = (url: string, name: string) => {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
};

/**
 * A fresh database on every node of the cluster (Citus does not propagate CREATE DATABASE), the
 * extension in each, and the coordinator's copy told where its workers are. Fanned-out queries
 * fail on it (FAN_OUT_FAILS), set on the database so every connection of the app has it, unless
 * `fanOutFails` is false (the benchmarks, which load and compare with naive SQL across shards).
 */
export async function createCitusDatabase(
  coordinatorUrl: string,
  { name = `uptake_citus_${randomBytes(6).toString('hex')}`, fanOutFails = true }: { name?: string; fanOutFails?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: coordinatorUrl });
  await admin.connect();
  let workers: Array<{ nodename: string; nodeport: number }>;
  let coordinatorPort: number;
  try {
    workers = (await admin.query<{ nodename: string; nodeport: number }>('select nodename, nodeport from pg_dist_node where groupid <> 0 order by nodeport')).rows;
    coordinatorPort = Number(new URL(coordinatorUrl).port || 5432);
  } finally {
    await admin.end();
  }
  if (workers.length === 0) throw new Error(`${coordinatorUrl} has no Citus workers (pg_dist_node)`);
  const workerUrl = (worker: { nodename: string; nodeport: number }, database: string) => `postgres://postgres@${worker.nodename}:${worker.nodeport}/${database}`;
  const nodes = [coordinatorUrl, ...workers.map((worker) => workerUrl(worker, 'postgres'))];
  await Promise.all(nodes.map((node) => run(node, [`create database ${name}`])));
  await Promise.all(nodes.map((node) => run(withDatabase(node, name), ['create extension citus'])));
  const url = withDatabase(coordinatorUrl, name);
  await run(url, [
    `select citus_set_coordinator_host('${new URL(coordinatorUrl).hostname}', ${coordinatorPort})`,
    ...workers.map((worker) => `select citus_add_node('${worker.nodename}', ${worker.nodeport})`),
    ...(fanOutFails ? [`alter database ${name} set ${FAN_OUT_FAILS}`] : []),
  ]);
  return {
    url,
    drop: async () => {
      for (const node of nodes) await run(node, [`drop database if exists ${name} with (force)`]);
    },
  };
}
