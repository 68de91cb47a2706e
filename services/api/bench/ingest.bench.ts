/**
 * Ingestion benchmark: 100-event batches through HTTP against the real service, and in the same
 * run the raw reference (COPY of as many equivalent rows into an identical table). Prints
 * events/s, acknowledgement latency, bytes on disk per event and the ratio to COPY; then the same
 * load on embedded PGlite.
 *
 *   pnpm bench:ingest [--seconds 15] [--connections 32] [--pglite-seconds 10]
 *
 * DATABASE_URL set → a fresh database on that server, dropped after; unset → a throwaway Postgres 15
 * cluster under /tmp.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startPostgresCluster, type PostgresCluster } from '../test/support/postgres-cluster.ts';
import { startServeProcess } from '../test/support/serve-process.ts';
import { batchBody, EVENTS_PER_BATCH, USERS } from './bench-batch.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    'pglite-seconds': { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

type ServerEnv = Record<string, string>;

function createProjectKeys(env: ServerEnv, dataDir: string): { writeKey: string; projectId: string } {
  const result = spawnSync(process.execPath, [cli, 'project', 'create', '--name', 'Bench', '--json', '--data-dir', dataDir], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

async function load(url: string, writeKey: string, durationSeconds: number) {
  let requestNumber = Math.floor(Math.random() * 1e9);
  const result = await autocannon({
    url: `${url}/v1/batch`,
    method: 'POST',
    connections,
    duration: durationSeconds,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: batchBody(writeKey, requestNumber++) }) }],
  });
  const ok = result['2xx'];
  return {
    eventsPerSecond: (ok * EVENTS_PER_BATCH) / durationSeconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

// Named, so a column added to events later (with its default) cannot break the reference.
const REFERENCE_COLUMNS = 'project_id, message_id, type, event, user_id, anonymous_id, account_id, timestamp, received_at, sent_at, properties, context, extra, timestamp_clamped, message_id_generated';

/** The reference: COPY of `rows` equivalent rows into a table identical to events (same PK). */
async function copyReference(databaseUrl: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('drop table if exists events_copy_reference');
    await client.query('create table events_copy_reference (like events including all)');
    const now = new Date().toISOString();
    const lines = function* () {
      for (let i = 0; i < rows; i++) {
        const user = i % USERS;
        const props = JSON.stringify({ plan: 'pro', size: i % 100 });
        const context = JSON.stringify({ groupId: `acct-${user % 2000}`, sessionId: `s-${user}`, seq: i % 100 });
        yield `bench\tref-${i}\ttrack\tReport Created\tuser-${user}\t\\N\tacct-${user % 2000}\t${now}\t${now}\t${now}\t${props}\t${context}\t\\N\tf\tf\n`;
      }
    };
    const started = performance.now();
    await pipeline(Readable.from(lines()), client.query(copyFrom(`copy events_copy_reference (${REFERENCE_COLUMNS}) from stdin`)));
    const elapsed = (performance.now() - started) / 1000;
    await client.query('drop table events_copy_reference');
    return rows / elapsed;
  } finally {
    await client.end();
  }
}

/** On-disk bytes (heap + indexes + TOAST) of the events table and of every table. */
async function diskBytes(databaseUrl: string): Promise<{ events: number; all: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; all: string }>(`
      select pg_total_relation_size('events') as events,
             (select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind = 'r' and n.nspname = 'public') as all`);
    return { events: Number(rows[0]!.events), all: Number(rows[0]!.all) };
  } finally {
    await client.end();
  }
}

async function countEvents(databaseUrl: string, projectId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from events where project_id = $1', [projectId]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  let cluster: PostgresCluster | undefined;
  const serverUrl = process.env['DATABASE_URL'] || (cluster = await startPostgresCluster()).url;
  // A fresh database on that server for every run, dropped after: the figures never depend on
  // what an earlier run (or an older schema) left there.
  const benchDatabase = `uptake_bench_ingest_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${benchDatabase}`);
  const url = new URL(serverUrl);
  url.pathname = `/${benchDatabase}`;
  const databaseUrl = url.toString();
  const scratch = mkdtempSync(join(tmpdir(), 'uptake-bench-'));
  try {
    // Real Postgres
    const pgEnv = { DATABASE_URL: databaseUrl };
    const pgKeys = createProjectKeys(pgEnv, scratch);
    const pgServer = await startServeProcess(pgEnv, ['--data-dir', scratch]);
    const before = await diskBytes(databaseUrl);
    const pgResult = await load(pgServer.url, pgKeys.writeKey, seconds);
    await pgServer.stop();
    const stored = await countEvents(databaseUrl, pgKeys.projectId);
    const after = await diskBytes(databaseUrl);
    const copyRate = await copyReference(databaseUrl, Math.max(100_000, stored));

    // Embedded PGlite, unless --pglite-seconds 0 (a load of no time measures nothing).
    const liteSeconds = Number(values['pglite-seconds']);
    let liteResult: Awaited<ReturnType<typeof load>> | undefined;
    if (liteSeconds > 0) {
      const pgliteDir = join(scratch, 'pglite');
      const liteEnv = { DATABASE_URL: '' };
      const liteKeys = createProjectKeys(liteEnv, pgliteDir);
      const liteServer = await startServeProcess(liteEnv, ['--data-dir', pgliteDir]);
      liteResult = await load(liteServer.url, liteKeys.writeKey, liteSeconds);
      await liteServer.stop();
    }

    const report = [
      `Ingestion benchmark: ${EVENTS_PER_BATCH}-event batches, ${connections} connections, ${seconds} s (PGlite ${values['pglite-seconds']} s)`,
      '',
      '| store | events/s | p50 ack | p99 ack | non-2xx | reference | ratio |',
      '|---|---|---|---|---|---|---|',
      `| Postgres 15 | ${format(pgResult.eventsPerSecond)} | ${pgResult.p50} ms | ${pgResult.p99} ms | ${pgResult.non2xx} | COPY ${format(copyRate)} rows/s | ${(pgResult.eventsPerSecond / copyRate).toFixed(2)} × COPY |`,
      ...(liteResult ? [`| PGlite (file) | ${format(liteResult.eventsPerSecond)} | ${liteResult.p50} ms | ${liteResult.p99} ms | ${liteResult.non2xx} | goal 15,000 events/s | ${(liteResult.eventsPerSecond / 15_000).toFixed(2)} × goal |`] : []),
      '',
      `Stored on Postgres: ${format(stored)} events; on disk per event: ${format((after.events - before.events) / stored)} B in events (table + indexes), ${format((after.all - before.all) / stored)} B with the derived tables.`,
    ].join('\n');
    process.stdout.write(`${report}\n`);
    if (pgResult.errors > 0 || (liteResult?.errors ?? 0) > 0) process.stdout.write(`connection errors: ${pgResult.errors} / ${liteResult?.errors ?? 0}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await admin.query(`drop database if exists ${benchDatabase} with (force)`);
    await admin.end();
    cluster?.destroy();
  }
}

await main();
