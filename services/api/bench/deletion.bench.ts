/**
 * Deletion benchmark: how long `DELETE /v1/users/:userId` takes for a user with many events in a
 * project with as many events of other users, in bounded batches (UPTAKE_DELETION_BATCH_ROWS,
 * default 5000), and how long ingestion requests sent meanwhile take (the deletion must never
 * hold them up). On Postgres and on PGlite.
 *
 *   pnpm bench:deletion [--events 100000] [--others 100000] [--batch-rows 5000]
 *
 * DATABASE_URL set → that server (a fresh database is created on it); unset → a throwaway cluster.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { freshBenchDatabase } from './bench-database.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' }, others: { type: 'string', default: '100000' }, 'batch-rows': { type: 'string', default: '5000' } } });
const EVENTS = Number(values.events);
const OTHERS = Number(values.others);
const BATCH_ROWS = values['batch-rows'];

const log = (text: string) => process.stdout.write(`${text}\n`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const DAY = 86_400_000;
const start = Date.now() - 60 * DAY;

function eventOf(userId: string, i: number): object {
  return {
    type: 'track', event: `Feature ${i % 20}`, userId, messageId: `${userId}-${i}`,
    timestamp: new Date(start + (i % 59) * DAY + (i % 1000) * 1000).toISOString(),
    properties: { accountId: `acct-${userId.length % 7}`, note: `${userId} did ${i}` }, context: { ip: '203.0.113.9', userAgent: 'bench' },
  };
}

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const app = await buildApp(loadConfig({ ...env, LOG_LEVEL: 'silent', UPTAKE_RATE_LIMIT_PER_SECOND: '0', UPTAKE_DELETION_BATCH_ROWS: BATCH_ROWS, UPTAKE_DELETION_WAIT_MS: '60000' }), { logger: pino({ level: 'silent' }) });
  try {
    const project = await createProject(app.store.db, { name: 'Deletion bench' });
    const auth = `Basic ${Buffer.from(`${project.writeKey}:`).toString('base64')}`;
    const send = async (batch: object[]) => {
      const answer = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: auth }, payload: { batch } });
      if (answer.statusCode !== 200) throw new Error(answer.body);
    };
    const loading = performance.now();
    await send([{ type: 'identify', userId: 'u-deleted', anonymousId: 'anon-deleted', traits: { email: 'deleted@example.com' } }]);
    for (let i = 0; i < EVENTS; i += 500) await send(Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => eventOf('u-deleted', i + j)));
    for (let i = 0; i < OTHERS; i += 500) await send(Array.from({ length: Math.min(500, OTHERS - i) }, (_, j) => eventOf(`u-other-${(i + j) % 200}`, i + j)));
    const loaded = ((performance.now() - loading) / 1000).toFixed(0);

    // Ingestion while the deletion runs: one request of 10 events after another.
    let deleting = true;
    const latencies: number[] = [];
    const ingesting = (async () => {
      for (let n = 0; deleting; n++) {
        const sent = performance.now();
        await send(Array.from({ length: 10 }, (_, j) => ({ type: 'track', event: 'During', userId: `u-live-${j}`, messageId: `live-${n}-${j}` })));
        latencies.push(performance.now() - sent);
      }
    })();
    const started = performance.now();
    const answer = await app.inject({ method: 'DELETE', url: '/v1/users/u-deleted', headers: { authorization: `Bearer ${project.secretKey}` } });
    let receipt = answer.json();
    while (receipt.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      receipt = (await app.inject({ method: 'GET', url: `/v1/deletions/${receipt.deletionId}`, headers: { authorization: `Bearer ${project.secretKey}` } })).json();
    }
    const seconds = (performance.now() - started) / 1000;
    deleting = false;
    await ingesting;
    latencies.sort((a, b) => a - b);
    const rows = Object.values(receipt.rows as Record<string, number>).reduce((sum, n) => sum + n, 0);
    log(`| ${label} | ${EVENTS.toLocaleString('en-US')} of ${(EVENTS + OTHERS).toLocaleString('en-US')} | ${seconds.toFixed(1)} | ${rows.toLocaleString('en-US')} | ${latencies.length} | ${pct(latencies, 50).toFixed(0)} | ${latencies.at(-1)?.toFixed(0) ?? '–'} | ${loaded} |`);
  } finally {
    await app.close();
  }
}

const database = await freshBenchDatabase('uptake_bench_deletion');

log(`Deleting one user (DELETE /v1/users/:userId until the receipt says completed), ${BATCH_ROWS} rows per transaction, while ingestion requests of 10 events run one after another\n`);
log('| database | the user’s events, of the project’s | deletion, s | rows re-keyed or deleted | ingestion requests meanwhile | their p50, ms | their max, ms | load, s |');
log('|---|---|---|---|---|---|---|---|');
try {
  await measure('Postgres', { DATABASE_URL: database.url });
  await measure('PGlite', { UPTAKE_DATA_DIR: 'memory://' });
} finally {
  await database.drop();
}
