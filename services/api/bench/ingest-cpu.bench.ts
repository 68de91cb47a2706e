/**
 * Ingestion CPU per event, to compare trees on a shared machine: throughput there moves with
 * whatever else runs, CPU time per event much less. Each run is a process of its own that builds
 * one tree's app (`buildApp` of `<tree>/services/api/src/app.ts`) on a fresh database and sends it
 * the ingestion benchmark's batches through `app.inject` (no sockets), 10 at once, so every group
 * commit holds 1000 events; after a warm-up it measures the process's CPU time per event (Node:
 * Fastify, validation, preparation, driver; on PGlite the embedded Postgres too) and, on
 * Postgres, the CPU of that database's backends. Trees and stores take turns, round after round.
 * Two trees are never loaded in one process: the first loaded runs measurably faster there.
 *
 *   pnpm bench:ingest-cpu [--rounds 4] [--iterations 50] [--stores pg,pglite] [<repo root> …]
 *
 * With no root, this repository. DATABASE_URL set → fresh databases on that server, dropped
 * after; unset → a throwaway Postgres 15 cluster under /tmp.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgresCluster, type PostgresCluster } from '../test/support/postgres-cluster.ts';
import { batchBody, EVENTS_PER_BATCH } from './bench-batch.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '4' },
    iterations: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '15' },
    stores: { type: 'string', default: 'pg,pglite' },
    // A run (child process): which tree, which store, which server.
    run: { type: 'string' },
    store: { type: 'string' },
    server: { type: 'string' },
  },
});

const CONCURRENT = 10;
const RESULT = 'RESULT ';
type RunResult = { nodeUs: number; postgresUs: number | null };

/** User + system CPU seconds of a process, from /proc (Linux). */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function run(tree: string, store: string, serverUrl: string): Promise<RunResult> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const scratch = mkdtempSync(join(tmpdir(), 'uptake-bench-cpu-'));
  const database = `uptake_bench_cpu_${process.pid}`;
  try {
    let env: Record<string, string> = { DATABASE_URL: '' };
    if (store === 'pg') {
      await admin.query(`create database ${database}`);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      env = { DATABASE_URL: url.toString() };
    }
    const dataDir = store === 'pg' ? scratch : join(scratch, 'data');
    const created = spawnSync(process.execPath, [join(tree, 'services/api/src/cli.ts'), 'project', 'create', '--name', 'Bench', '--json', '--data-dir', dataDir], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (created.status !== 0) throw new Error(created.stderr);
    const { writeKey } = JSON.parse(created.stdout) as { writeKey: string };
    const { loadConfig } = await import(join(tree, 'services/api/src/config.ts'));
    const { buildApp } = await import(join(tree, 'services/api/src/app.ts'));
    const app = await buildApp(loadConfig({ ...env, LOG_LEVEL: 'warn', UPTAKE_RATE_LIMIT_PER_SECOND: '0' }, { dataDir }, { warmFigures: true }));
    let requestNumber = Math.floor(Math.random() * 1e9);
    /** One group commit's worth of requests; answers this process's CPU time per event (µs). */
    const iteration = async () => {
      const bodies = Array.from({ length: CONCURRENT }, () => batchBody(writeKey, requestNumber++));
      const before = process.cpuUsage();
      const answers = await Promise.all(bodies.map((payload) => app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json' }, payload })));
      const used = process.cpuUsage(before);
      for (const answer of answers) if (answer.statusCode !== 200) throw new Error(`${answer.statusCode} ${answer.body}`);
      return (used.user + used.system) / (CONCURRENT * EVENTS_PER_BATCH);
    };
    for (let i = 0; i < Number(values.warmup); i++) await iteration();
    const backends = store === 'pg' ? (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database])).rows.map((row) => row.pid) : [];
    const backendCpu = () => backends.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
    const backendsBefore = backendCpu();
    const samples: number[] = [];
    for (let i = 0; i < Number(values.iterations); i++) samples.push(await iteration());
    const events = Number(values.iterations) * CONCURRENT * EVENTS_PER_BATCH;
    const postgresUs = store === 'pg' ? ((backendCpu() - backendsBefore) * 1e6) / events : null;
    await app.close();
    return { nodeUs: median(samples), postgresUs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (store === 'pg') await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main() {
  let cluster: PostgresCluster | undefined;
  const serverUrl = process.env['DATABASE_URL'] || (cluster = await startPostgresCluster()).url;
  const trees = positionals.length > 0 ? positionals.map((tree) => resolve(tree)) : [resolve(fileURLToPath(new URL('../../..', import.meta.url)))];
  const stores = values.stores.split(',');
  const results = new Map<string, RunResult[]>();
  try {
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const tree of trees) {
        for (const store of stores) {
          const child = spawnSync(
            process.execPath,
            [fileURLToPath(import.meta.url), '--run', tree, '--store', store, '--server', serverUrl, '--iterations', values.iterations, '--warmup', values.warmup],
            { encoding: 'utf8' },
          );
          const line = child.stdout.split('\n').find((text) => text.startsWith(RESULT));
          if (child.status !== 0 || !line) throw new Error(`run of ${tree} on ${store} failed: ${child.stderr.slice(-2000)}`);
          const result = JSON.parse(line.slice(RESULT.length)) as RunResult;
          const key = `${tree}\u0000${store}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          process.stdout.write(`round ${round} ${tree} ${store}: ${result.nodeUs.toFixed(1)} µs/event in this process${result.postgresUs === null ? '' : `, ${result.postgresUs.toFixed(1)} µs/event in Postgres`}\n`);
        }
      }
    }
  } finally {
    cluster?.destroy();
  }

  const spread = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  const lines = [
    '',
    `Ingestion CPU per event: ${values.rounds} rounds × ${values.iterations} groups of ${CONCURRENT} × ${EVENTS_PER_BATCH}-event batches; median of the rounds (min–max); ratio to the first tree's median`,
    '',
    '| tree | store | server process µs/event | ratio | Postgres backends µs/event | ratio |',
    '|---|---|---|---|---|---|',
  ];
  for (const store of stores) {
    const first = results.get(`${trees[0]}\u0000${store}`)!;
    for (const tree of trees) {
      const runs = results.get(`${tree}\u0000${store}`)!;
      const node = runs.map((r) => r.nodeUs);
      const postgres = runs.flatMap((r) => (r.postgresUs === null ? [] : [r.postgresUs]));
      const firstPostgres = first.flatMap((r) => (r.postgresUs === null ? [] : [r.postgresUs]));
      lines.push(
        `| ${tree} | ${store} | ${spread(node)} | ${(median(node) / median(first.map((r) => r.nodeUs))).toFixed(2)} | ${postgres.length ? spread(postgres) : '—'} | ${postgres.length ? (median(postgres) / median(firstPostgres)).toFixed(2) : '—'} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (values.run) {
  const result = await run(values.run, values.store!, values.server!);
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
  // The app's Postgres pool may hold timers past close; the parent waits for this exit.
  process.exit(0);
} else {
  await main();
}
