/**
 * Ingestion and the query routes on a single Postgres and on a Citus cluster, in the same run
 * (docs/scale-out.md, "What it costs"). On one machine the cluster's nodes share its cores, so
 * this measures Citus' overhead, not a gain: the ratios say what each request pays for being
 * routed through the coordinator, and the CPU per event is split between the coordinator and the
 * workers (read from /proc for every process of each server, so it runs on the machine that runs
 * the servers).
 *
 *   node bench/citus.bench.ts --citus postgres://…:9700/postgres [--postgres postgres://…] [--events 20000] [--runs 5]
 *
 * --citus defaults to CITUS_URL, --postgres to DATABASE_URL; without --postgres only Citus is measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { addDays } from '../src/domain/days.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { createCitusDatabase } from '../test/support/citus-database.ts';
import { testConfig } from '../test/support/test-app.ts';

const { values } = parseArgs({
  options: {
    citus: { type: 'string', default: process.env['CITUS_URL'] },
    postgres: { type: 'string', default: process.env['DATABASE_URL'] },
    events: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '5' },
  },
});
if (!values.citus) throw new Error('--citus (or CITUS_URL): the coordinator of a cluster (scripts/citus-cluster.sh start)');
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
const BATCH = 200;
const CONCURRENCY = 4;
const USERS = 500;
const ACCOUNTS = 20;
const DAYS = 30;
const today = new Date().toISOString().slice(0, 10);
const FEATURES = ['Report Created', 'Dashboard Viewed', 'Export CSV', 'Invite Sent'];

type Target = { name: string; url: string; servers: string[]; drop(): Promise<void> };

async function one<T extends pg.QueryResultRow>(url: string, text: string): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows[0]!;
  } finally {
    await client.end();
  }
}

/** CPU seconds used so far by every process of the server at `url` (its postmaster and children). */
async function serverCpuSeconds(url: string): Promise<number> {
  const { dir } = await one<{ dir: string }>(url, 'select current_setting(\'data_directory\') as dir');
  const postmaster = Number(readFileSync(`${dir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const pid = Number(entry);
      const parent = Number(fields[1]);
      if (pid === postmaster || parent === postmaster) total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function postgresTarget(serverUrl: string): Promise<Target> {
  const name = `uptake_bench_single_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  return {
    name: 'Postgres',
    url,
    servers: [url],
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function citusTarget(coordinatorUrl: string): Promise<Target> {
  const database = await createCitusDatabase(coordinatorUrl);
  const workers = await (async () => {
    const client = new pg.Client({ connectionString: coordinatorUrl });
    await client.connect();
    try {
      return (await client.query<{ nodename: string; nodeport: number }>('select nodename, nodeport from pg_dist_node where groupid <> 0 order by nodeport')).rows;
    } finally {
      await client.end();
    }
  })();
  return { name: 'Citus', url: database.url, servers: [coordinatorUrl, ...workers.map((w) => `postgres://postgres@${w.nodename}:${w.nodeport}/postgres`)], drop: database.drop };
}

function events(): Array<Record<string, unknown>> {
  const list: Array<Record<string, unknown>> = [];
  for (let a = 0; a < ACCOUNTS; a++) list.push({ type: 'group', userId: `u${a}`, groupId: `a${a}`, traits: { name: `Account ${a}`, seats: 30 }, timestamp: `${addDays(today, -DAYS)}T08:00:00.000Z`, messageId: `g${a}` });
  for (let i = list.length; i < EVENTS; i++) {
    const user = i % USERS;
    list.push({
      type: 'track',
      event: FEATURES[i % FEATURES.length],
      userId: `u${user}`,
      context: { groupId: `a${user % ACCOUNTS}` },
      timestamp: `${addDays(today, -(i % DAYS))}T${String(i % 24).padStart(2, '0')}:00:00.000Z`,
      messageId: `m${i}`,
    });
  }
  return list;
}

type Result = { ingestPerSecond: number; cpuPerEvent: number[]; routes: Map<string, number> };

async function measure(target: Target): Promise<Result> {
  const app = await buildApp(testConfig({ kind: 'postgres', url: target.url, poolSize: 10, queryTimeoutMs: 120_000 }), { logger: pino({ level: 'silent' }) });
  try {
    const keys = await createProject(app.store.db, { name: 'bench' });
    const all = events();
    const batches: Array<Array<Record<string, unknown>>> = [];
    for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
    const cpuBefore = await Promise.all(target.servers.map(serverCpuSeconds));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${keys.writeKey}` }, payload: { batch } });
          if (response.statusCode !== 200) throw new Error(`${target.name}: /v1/batch answered ${response.statusCode}: ${response.body}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await Promise.all(target.servers.map(serverCpuSeconds));
    const cpuPerEvent = cpuAfter.map((after, i) => ((after - cpuBefore[i]!) * 1e6) / all.length);

    const routes = new Map<string, number>();
    const urls = [
      `/v1/users/u7/score`,
      `/v1/accounts/a3/score`,
      `/v1/scores/users?limit=100`,
      `/v1/scores/accounts?limit=100`,
      `/v1/metrics/active?from=${addDays(today, -DAYS)}&to=${today}`,
      `/v1/accounts/a3/utilisation`,
      `/v1/accounts?limit=100`,
      `/v1/segments/trial-ready/members?limit=100`,
    ];
    for (const url of urls) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        // Every run recomputes: the figure cache is told the project changed.
        app.changeTracker.markProjectChanged(keys.projectId);
        const begun = performance.now();
        const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keys.secretKey}` } });
        times.push(performance.now() - begun);
        if (response.statusCode !== 200) throw new Error(`${target.name}: ${url} answered ${response.statusCode}: ${response.body}`);
      }
      times.sort((a, b) => a - b);
      routes.set(url, times[Math.floor(times.length / 2)]!);
    }
    return { ingestPerSecond: all.length / seconds, cpuPerEvent, routes };
  } finally {
    await app.close();
  }
}

const targets: Target[] = [];
if (values.postgres) targets.push(await postgresTarget(values.postgres));
targets.push(await citusTarget(values.citus));
const results = new Map<string, Result>();
try {
  for (const target of targets) results.set(target.name, await measure(target));
} finally {
  for (const target of targets) await target.drop();
}

const single = results.get('Postgres');
const citus = results.get('Citus')!;
const f = (n: number) => n.toFixed(1);
console.log(`\n${EVENTS} events (${USERS} users, ${ACCOUNTS} accounts, ${DAYS} days), batches of ${BATCH}, ${CONCURRENCY} senders; medians of ${RUNS} runs, every run recomputed`);
console.log(`\n| | ${single ? 'Postgres | ' : ''}Citus (coordinator + ${citus.cpuPerEvent.length - 1} workers) |${single ? ' Citus ÷ Postgres |' : ''}`);
console.log(`|---|${single ? '---|' : ''}---|${single ? '---|' : ''}`);
console.log(`| ingestion, events/s | ${single ? `${f(single.ingestPerSecond)} | ` : ''}${f(citus.ingestPerSecond)} |${single ? ` ${(citus.ingestPerSecond / single.ingestPerSecond).toFixed(2)}× |` : ''}`);
console.log(`| database CPU per event, µs | ${single ? `${f(single.cpuPerEvent[0]!)} | ` : ''}${citus.cpuPerEvent.map(f).join(' + ')} = ${f(citus.cpuPerEvent.reduce((a, b) => a + b, 0))} |${single ? ` ${(citus.cpuPerEvent.reduce((a, b) => a + b, 0) / single.cpuPerEvent[0]!).toFixed(2)}× |` : ''}`);
for (const [url, ms] of citus.routes) {
  const base = single?.routes.get(url);
  console.log(`| \`${url.split('?')[0]}\`, ms | ${base !== undefined ? `${f(base)} | ` : ''}${f(ms)} |${base !== undefined ? ` ${(ms / base).toFixed(2)}× |` : ''}`);
}
