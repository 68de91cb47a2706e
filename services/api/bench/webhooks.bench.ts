/**
 * Webhook latency benchmark: how long after an event's `200` its delivery reaches a receiver.
 * An `$nps_response` sent to `POST /v1/batch` is stored with its `nps.response` delivery in one
 * transaction; the dispatcher (default settings: poll every 500 ms) signs and POSTs it to a real
 * receiver on 127.0.0.1. Measured one event at a time (at random moments of the poll cycle), then
 * a burst of one batch of 500 answers, on Postgres and on PGlite.
 *
 *   pnpm bench:webhooks [--events 100] [--burst 500]
 *
 * DATABASE_URL set → that server (a fresh database is created on it); unset → a throwaway cluster.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { freshBenchDatabase } from './bench-database.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '100' }, burst: { type: 'string', default: '500' } } });
const EVENTS = Number(values.events);
const BURST = Number(values.burst);

const log = (text: string) => process.stdout.write(`${text}\n`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The receiver: when each webhook-id first arrived (performance.now(), same clock as the sender).
const arrivals = new Map<string, number>();
const waiting = new Map<string, () => void>();
const receiver = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const id = String(request.headers['webhook-id']);
    if (!arrivals.has(id)) arrivals.set(id, performance.now());
    waiting.get(id)?.();
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const app = await buildApp(loadConfig({ ...env, UPTAKE_WEBHOOK_ALLOW_PRIVATE: '1', LOG_LEVEL: 'silent', UPTAKE_RATE_LIMIT_PER_SECOND: '0' }), { logger: pino({ level: 'silent' }) });
  try {
    const project = await createProject(app.store.db, { name: 'Webhook bench' });
    const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${project.secretKey}` }, payload: { url: receiverUrl, events: ['nps.response'] } });
    if (created.statusCode !== 201) throw new Error(created.body);
    const auth = `Basic ${Buffer.from(`${project.writeKey}:`).toString('base64')}`;
    const send = (batch: object[]) => app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: auth }, payload: { batch } });
    const idsBefore = () => new Set(arrivals.keys());

    const latencies: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      // A random moment of the 500 ms poll cycle.
      await sleep(Math.random() * 600);
      const before = idsBefore();
      const arrived = new Promise<string>((resolve) => {
        const check = () => {
          for (const id of arrivals.keys()) if (!before.has(id)) return resolve(id);
          setTimeout(check, 1);
        };
        check();
      });
      const answer = await send([{ type: 'track', event: '$nps_response', userId: `u${i}`, properties: { score: i % 11 } }]);
      const acknowledged = performance.now();
      if (answer.statusCode !== 200) throw new Error(answer.body);
      const id = await arrived;
      latencies.push(arrivals.get(id)! - acknowledged);
    }
    latencies.sort((a, b) => a - b);
    log(`| ${label}: one event at a time (${EVENTS}) | ${pct(latencies, 50).toFixed(0)} | ${pct(latencies, 95).toFixed(0)} | ${latencies.at(-1)!.toFixed(0)} |`);

    const before = idsBefore();
    const answer = await send(Array.from({ length: BURST }, (_, i) => ({ type: 'track', event: '$nps_response', userId: `burst${i}`, properties: { score: i % 11 } })));
    const acknowledged = performance.now();
    if (answer.statusCode !== 200) throw new Error(answer.body);
    const burst: number[] = [];
    while (burst.length < BURST) {
      burst.length = 0;
      for (const [id, at] of arrivals) if (!before.has(id)) burst.push(at - acknowledged);
      await sleep(5);
    }
    burst.sort((a, b) => a - b);
    log(`| ${label}: a batch of ${BURST} answers | ${pct(burst, 50).toFixed(0)} | ${pct(burst, 95).toFixed(0)} | ${burst.at(-1)!.toFixed(0)} |`);
  } finally {
    await app.close();
  }
}

const database = await freshBenchDatabase('uptake_bench_webhooks');

log('Latency from the event’s 200 to the delivery’s arrival at the receiver, ms (poll interval 500 ms)\n');
log('| case | p50 | p95 | max |');
log('|---|---|---|---|');
try {
  await measure('Postgres', { DATABASE_URL: database.url });
  await measure('PGlite', { UPTAKE_DATA_DIR: 'memory://' });
} finally {
  await database.drop();
  receiver.close();
}
