/**
 * Segment watcher freshness: how long from an event's 200 to the segment transition it causes
 * being recorded (docs/plays.md). Loads a generated dataset, starts the app with the watcher on
 * (its defaults: 500 ms polling), waits for the baseline, then sends NPS responses of new users
 * (each enters `nps-detractors`) one at a time and measures until the `entered` row exists.
 *
 *   node bench/segment-watch.bench.ts [--accounts 12] [--days 90] [--runs 10]
 *
 * DATABASE_URL set → a fresh database on that server; unset → embedded PGlite in memory.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { addDays, today } from '../src/domain/days.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { generateDataset } from '../test/support/generate-data.ts';
import { ingestEvents } from '../test/support/ingest.ts';
import { basicAuth } from '../test/support/test-app.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '12' }, days: { type: 'string', default: '90' }, runs: { type: 'string', default: '10' } } });
const log = (text: string) => process.stdout.write(`${text}\n`);

const serverUrl = process.env['DATABASE_URL'];
let env: Record<string, string> = { LOG_LEVEL: 'silent', UPTAKE_DATA_DIR: 'memory://bench' };
let dropDatabase = async () => {};
if (serverUrl) {
  const name = `uptake_watch_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  env = { LOG_LEVEL: 'silent', DATABASE_URL: url.toString() };
  dropDatabase = async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  };
}

const app = await buildApp(loadConfig(env), { logger: pino({ level: 'silent' }) });
const db = app.store.db;
const project = await createProject(db, { name: 'Bench' });
const data = generateDataset({ seed: 5, asOf: addDays(today(), -1), days: Number(values.days), accounts: Number(values.accounts) });
await ingestEvents(app, project.writeKey, data.events);
log(`${serverUrl ? 'Postgres' : 'PGlite'}: ${data.events.length} events, ${values.accounts} accounts`);
const started = Date.now();
const count = async (where: ReturnType<typeof sql>) => Number((await sql<{ n: number }>`select count(*) as n from segment_transitions where project_id = ${project.projectId} and ${where}`.execute(db)).rows[0]!.n);
while ((await count(sql`true`)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
log(`baseline recorded ${Date.now() - started} ms after start`);

const delays: number[] = [];
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
}
log(`delays in order: ${delays.join(", ")} ms`);
delays.sort((a, b) => a - b);
log(`event 200 → transition recorded: p50 ${delays[Math.floor(delays.length / 2)]} ms, max ${delays.at(-1)} ms over ${delays.length} runs`);
await app.close();
await dropDatabase();
