import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export type PostgresCluster = {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
};

// runuser lives in an sbin folder, which a non-login PATH may leave out.
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((path) => existsSync(path)) ?? 'runuser';

/** Whether a private cluster can be made here: Postgres 15 binaries, and root to run them as postgres. */
export function canRunPostgresCluster(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && process.getuid?.() === 0 && spawnSync('id', ['postgres']).status === 0 && spawnSync(RUNUSER, ['--help']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A throwaway Postgres 15 server on a loopback port, data and socket under /tmp, that a test or
 * benchmark can stop and start at will (the shared test server must not be stopped under other
 * tests). Postgres refuses to run as root, so every command runs as the postgres user.
 */
export async function startPostgresCluster(options: { fsync?: boolean; preloadCitus?: boolean; logicalWal?: boolean } = {}): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'uptake-pg-'));
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) =>
    execFileSync(RUNUSER, ['-u', 'postgres', '--', join(PG_BIN, command), ...args], { stdio: 'pipe' });
  asPostgres('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100${options.fsync === false ? ' -c fsync=off' : ''}${options.preloadCitus ? ' -c shared_preload_libraries=citus' : ''}${options.logicalWal ? ' -c wal_level=logical' : ''}`;
  const start = () => asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', serverOptions, 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: () => {
      try {
        asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
