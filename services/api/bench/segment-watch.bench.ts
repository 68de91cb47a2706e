/**
 * Segment watcher freshness: how long from an event's 200 to the segment transition it causes
 * being recorded (docs/plays.md), and to its `segment.entered` webhook arriving at a receiver on
 * 127.0.0.1 (docs/webhooks.md). Loads a generated dataset, starts the app with the watcher and
 * the webhook dispatcher on (their defaults: 500 ms polling each), waits for the baseline, then
 * sends NPS responses of new users (each enters `nps-detractors`) one at a time and measures
 * until the `entered` row exists and until its delivery has arrived.
 *
 *   node bench/segment-watch.bench.ts [--accounts 12] [--days 90] [--runs 10]
 *
 * DATABASE_URL set → a fresh database on that server; unset → embedded PGlite in memory.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { addDays, today } from '../src/domain/days.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { generateDataset } from '../test/support/generate-data.ts';
import { ingestEvents } from '../test/support/ingest.ts';
import { basicAuth } from '../test/support/test-app.ts';
import { freshBenchDatabase } from './bench-database.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '12' }, days: { type: 'string', default: '90' }, runs: { type: 'string', default: '10' } } });
const log = (text: string) => process.stdout.write(`${text}\n`);

const serverUrl = process.env['DATABASE_URL'];
const database = serverUrl ? await freshBenchDatabase('uptake_watch_bench') : undefined;
// The receiver listens on 127.0.0.1, which webhooks refuse unless private targets are allowed.
const env: Record<string, string> = { LOG_LEVEL: 'silent', UPTAKE_WEBHOOK_ALLOW_PRIVATE: '1', ...(database ? { DATABASE_URL: database.url } : { UPTAKE_DATA_DIR: 'memory://bench' }) };

// When each user's segment.entered delivery arrived.
const arrivals = new Map<string, number>();
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const { data } = JSON.parse(Buffer.concat(chunks).toString()) as { data: { userId?: string } };
    if (data.userId !== undefined && !arrivals.has(data.userId)) arrivals.set(data.userId, Date.now());
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

const app = await buildApp(loadConfig(env), { logger: pino({ level: 'silent' }) });
const db = app.store.db;
const project = await createProject(db, { name: 'Bench' });
const hook = await app.inject({
  method: 'POST',
  url: '/v1/webhooks',
  headers: { authorization: `Bearer ${project.secretKey}` },
  payload: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['segment.entered'], segments: ['nps-detractors'] },
});
if (hook.statusCode !== 201) throw new Error(hook.body);
const data = generateDataset({ seed: 5, asOf: addDays(today(), -1), days: Number(values.days), accounts: Number(values.accounts) });
await ingestEvents(app, project.writeKey, data.events);
log(`${serverUrl ? 'Postgres' : 'PGlite'}: ${data.events.length} events, ${values.accounts} accounts`);
const started = Date.now();
const count = async (where: ReturnType<typeof sql>) => Number((await sql<{ n: number }>`select count(*) as n from segment_transitions where project_id = ${project.projectId} and ${where}`.execute(db)).rows[0]!.n);
while ((await count(sql`true`)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
log(`baseline recorded ${Date.now() - started} ms after start`);

const delays: number[] = [];
const deliveries: number[] = [];
for (let run = 0; run < Number(values.runs); run++) {
  const userId = `bench-detractor-${run}`;
  const response = await app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basicAuth(project.writeKey) },
    payload: { sentAt: new Date().toISOString(), batch: [{ type: 'track', event: '$nps_response', userId, properties: { score: 2 }, messageId: `bench-${run}`, timestamp: new Date().toISOString() }] },
  });
  if (response.statusCode !== 200) throw new Error(response.body);
  const acknowledged = Date.now();
  while ((await count(sql`segment_key = 'nps-detractors' and member_id = ${userId} and kind = 'entered'`)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  delays.push(Date.now() - acknowledged);
  while (!arrivals.has(userId)) await new Promise((resolve) => setTimeout(resolve, 10));
  deliveries.push(arrivals.get(userId)! - acknowledged);
}
log(`delays in order: ${delays.join(', ')} ms (recorded); ${deliveries.join(', ')} ms (delivered)`);
const summary = (what: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  log(`event 200 → ${what}: p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms over ${sorted.length} runs`);
};
summary('transition recorded', delays);
summary('segment.entered webhook received', deliveries);
await app.close();
receiver.close();
await database?.drop();
