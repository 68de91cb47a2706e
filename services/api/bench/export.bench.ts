/**
 * Export benchmark: rows per second and peak memory of `GET /v1/events/export` (NDJSON and CSV)
 * over real HTTP, at two sizes, on Postgres and on PGlite. The events are written straight into
 * the events table (the benchmark measures the export, not ingestion). Memory is the process's
 * peak RSS above its level before the export (server and reading client share the process), so
 * a constant-memory export shows the same growth at both sizes.
 *
 *   pnpm bench:export [--events 200000]
 *
 * DATABASE_URL set → that server (a fresh database is created on it); unset → a throwaway cluster.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { freshBenchDatabase } from './bench-database.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const EVENTS = Number(values.events);
const SIZES = [Math.max(1, Math.floor(EVENTS / 4)), EVENTS];

const log = (text: string) => process.stdout.write(`${text}\n`);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const app = await buildApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
  try {
    const project = await createProject(app.store.db, { name: 'Export bench' });
    const host = await app.listen({ port: 0, host: '127.0.0.1' });
    let stored = 0;
    for (const size of SIZES) {
      // Events over 30 days, each with a few properties and a context, as an SDK sends them.
      await sql`
        insert into events (project_id, message_id, type, event, user_id, anonymous_id, timestamp, received_at, properties, context)
        select ${project.projectId}, 'bench-' || lpad(n::text, 9, '0'), 'track', 'Report Created', 'user-' || (n % 5000), 'anon-' || (n % 7000),
               timestamp '2026-11-01' + (n % 30) * interval '1 day' + (n % 86400) * interval '1 second', now(),
               jsonb_build_object('reportId', n, 'format', 'pdf', 'pages', n % 40),
               jsonb_build_object('page', jsonb_build_object('path', '/reports/' || n, 'title', 'Reports'), 'userAgent', 'Mozilla/5.0 (X11; Linux x86_64)')
        from generate_series(${stored + 1}::int, ${size}::int) as n`.execute(app.store.db);
      stored = size;
      await sql`analyze events`.execute(app.store.db);
      for (const format of ['ndjson', 'csv'] as const) {
        globalThis.gc?.();
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        const started = performance.now();
        const response = await fetch(`${host}/v1/events/export?from=2026-11-01&to=2026-11-30&format=${format}`, { headers: { authorization: `Bearer ${project.secretKey}` } });
        if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
        let bytes = 0;
        let lines = 0;
        for await (const chunk of response.body!) {
          bytes += chunk.byteLength;
          for (const byte of chunk) if (byte === 10) lines++;
        }
        const seconds = (performance.now() - started) / 1000;
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().rss);
        const rows = format === 'csv' ? lines - 1 : lines;
        if (rows < size) throw new Error(`${format}: ${rows} rows exported of ${size}`);
        log(`${label.padEnd(8)} ${format.padEnd(6)} ${String(size).padStart(8)} events  ${(rows / seconds).toFixed(0).padStart(7)} rows/s  ${mb(bytes / seconds).padStart(6)} MB/s  ${mb(bytes).padStart(7)} MB  peak RSS +${mb(peak - baseline)} MB`);
      }
    }
  } finally {
    await app.close();
  }
}

const database = await freshBenchDatabase('uptake_bench_export');
try {
  await measure('Postgres', { DATABASE_URL: database.url });
  await measure('PGlite', { UPTAKE_DATA_DIR: 'memory://' });
} finally {
  await database.drop();
}
