import { existsSync } from 'node:fs';
import { run } from './citus-database.ts';
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
  /** Starts one more worker and adds it (`citus_add_node`); it holds no shards until a rebalance. */
  addWorker(): Promise<PostgresCluster>;
  destroy(): void;
};

/**
 * A private cluster (a coordinator and `workerCount` workers, each a throwaway Postgres with Citus
 * preloaded) that a test may stop and start node by node, as `scripts/citus-cluster.sh` makes one
 * for development and CI.
 */
export async function startCitusCluster(workerCount = 2): Promise<CitusCluster> {
  const nodes: PostgresCluster[] = [];
  // wal_level = logical, as scripts/citus-cluster.sh sets: the rebalancer moves shards online.
  const startNode = () => startPostgresCluster({ fsync: false, preloadCitus: true, logicalWal: true });
  try {
    for (let i = 0; i <= workerCount; i++) nodes.push(await startNode());
    for (const node of nodes) await run(node.url, ['create extension citus']);
    const [coordinator, ...workers] = nodes as [PostgresCluster, ...PostgresCluster[]];
    const portOf = (node: PostgresCluster) => Number(new URL(node.url).port);
    await run(coordinator.url, [
      `select citus_set_coordinator_host('127.0.0.1', ${portOf(coordinator)})`,
      'alter database postgres set citus.shard_count = 8',
      ...workers.map((worker) => `select citus_add_node('127.0.0.1', ${portOf(worker)})`),
    ]);
    const addWorker = async () => {
      const worker = await startNode();
      nodes.push(worker);
      workers.push(worker);
      await run(worker.url, ['create extension citus']);
      await run(coordinator.url, [`select citus_add_node('127.0.0.1', ${portOf(worker)})`]);
      return worker;
    };
    return { url: coordinator.url, coordinator, workers, addWorker, destroy: () => nodes.forEach((node) => node.destroy()) };
  } catch (error) {
    for (const node of nodes) node.destroy();
    throw error;
  }
}
