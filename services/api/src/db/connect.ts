import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { Database } from './database.ts';
import { lockDataDir } from './data-dir-lock.ts';

const PGLITE_ANALYZE_INTERVAL_MS = 5 * 60_000;

export type Store = {
  db: Kysely<Database>;
  kind: DatabaseConfig['kind'];
  /** The node-postgres pool under Kysely, for COPY and other driver-level work. */
  pool: pg.Pool;
  /** Whether every pooled connection is checked out: a wait for one that times out then means a busy service, not a database out of reach. */
  busy(): boolean;
  close(): Promise<void>;
};

// int8 (count(*), sums) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number.parseFloat(value));

/**
 * Opens the configured store: a pg pool against a real server, or embedded PGlite in a locked
 * data dir. Both are driven through node-postgres, so every query runs the same code path.
 *
 * @example
 * const store = await openStore({ kind: 'pglite', dataDir: '.uptake' });
 * await store.close();
 */
export async function openStore(config: DatabaseConfig, onPoolError: (error: Error) => void = () => {}): Promise<Store> {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize,
      // A stopped server must produce an error the client can retry on, never a hanging request.
      connectionTimeoutMillis: 3000,
      ...(config.queryTimeoutMs > 0 ? { query_timeout: config.queryTimeoutMs } : {}),
      // Figures aggregate millions of user-day rows; with Postgres' default 4 MB the hash
      // aggregates spill, and a misestimated parallel one took minutes at 10 M events (64 MB: 9 s).
      // No JIT: a figure's first computation is one large statement whose estimate can run to
      // millions of rows, and compiling it took longer than running it (retention cohorts at 10 M
      // events: 2.2-2.4 s with JIT, 1.0 s without; no figure measured ran faster with it).
      options: '-c work_mem=64MB -c jit=off',
    });
    // Clients whose server went away emit 'error' (idle ones on the pool, checked-out ones on
    // themselves); unhandled, either would kill the process. The query in flight fails on its own.
    pool.on('error', onPoolError);
    pool.on('connect', (client) => client.on('error', onPoolError));
    // Checked out and connected: a client still connecting (a server out of reach) is not counted.
    let inUse = 0;
    pool.on('acquire', () => inUse++);
    pool.on('release', () => inUse--);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', pool, busy: () => inUse >= config.poolSize, close: () => db.destroy() };
  }

  const inMemory = config.dataDir.startsWith('memory://');
  const unlock = inMemory ? () => {} : lockDataDir(config.dataDir);
  try {
    const pglite = await PGlite.create(inMemory ? config.dataDir : join(config.dataDir, 'pglite'));
    // PGlite is one connection: createPgConfig sets a pool size of 1, so transactions never interleave.
    // No statement time limit here, and none can be had: PGlite 0.5 runs each statement to its
    // end inside WebAssembly on this thread, so Postgres' statement_timeout never fires (measured:
    // 'set statement_timeout = 200' and a 16 s statement ran 16 s) and no JavaScript timer runs
    // meanwhile to cancel it. A client-side timeout would only fake one while the statement kept
    // the database busy. PGlite is for one machine; a public instance runs on Postgres
    // (docs/security.md, "Limits").
    const pool = new pg.Pool(createPgConfig(pglite));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // PGlite has no autovacuum, so nothing keeps planner statistics: without them the query
    // planner picks nested loops over hundreds of thousands of rows (a segment query measured
    // 82 s instead of 0.9 s after a bulk load). Analyse on open and every few minutes.
    const analyse = () => sql`analyze`.execute(db).catch(onPoolError);
    await analyse();
    const statistics = setInterval(analyse, PGLITE_ANALYZE_INTERVAL_MS);
    statistics.unref();
    return {
      db,
      kind: 'pglite',
      pool,
      // One connection, and no time limit on waiting for it.
      busy: () => false,
      close: async () => {
        clearInterval(statistics);
        await db.destroy();
        await pglite.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
