import { existsSync } from 'node:fs';
import pg from 'pg';
import { canRunPostgresCluster, startPostgresCluster, type PostgresCluster } from './postgres-cluster.ts';

const CITUS_LIBRARY = '/usr/lib/postgresql/15/lib/citus.so';

/** Why a private Citus cluster cannot be made here, or undefined when it can. */
export function citusClusterSkipReason(): string | undefined {
  if (!canRunPostgresCluster()) return 'no Postgres 15 binaries, or not root (needed to run them as postgres)';
  if (!existsSync(CITUS_LIBRARY)) return `Citus is not installed (${CITUS_LIBRARY}; docs/scale-out.md says how to build it)`;
  return undefined;
}

export type CitusCluster = {
  /** The coordinator's postgres database, told where its workers are. */
  url: string;
  coordinator: PostgresCluster;
  workers: PostgresCluster[];
  destroy(): void;
};

async function run(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A private cluster (a coordinator and `workerCount` workers, each a throwaway Postgres with Citus
 * preloaded) that a test may stop and start node by node, as `scripts/citus-cluster.sh` makes one
 * for development and CI.
 */
export async function startCitusCluster(workerCount = 2): Promise<CitusCluster> {
  const nodes: PostgresCluster[] = [];
  try {
    for (let i = 0; i <= workerCount; i++) nodes.push(await startPostgresCluster({ fsync: false, preloadCitus: true }));
    for (const node of nodes) await run(node.url, ['create extension citus']);
    const [coordinator, ...workers] = nodes as [PostgresCluster, ...PostgresCluster[]];
    const portOf = (node: PostgresCluster) => Number(new URL(node.url).port);
    await run(coordinator.url, [
      `select citus_set_coordinator_host('127.0.0.1', ${portOf(coordinator)})`,
      'alter database postgres set citus.shard_count = 8',
      ...workers.map((worker) => `select citus_add_node('127.0.0.1', ${portOf(worker)})`),
    ]);
    return { url: coordinator.url, coordinator, workers, destroy: () => nodes.forEach((node) => node.destroy()) };
  } catch (error) {
    for (const node of nodes) node.destroy();
    throw error;
  }
}
