/**
 * Query API benchmark: loads N events into a real Postgres (generate_series, then the same
 * derived-table build the service uses: `rebuildDerivedTables`), then measures p50/p95 of each
 * query route through app.inject, and in the same run the naive SQL over raw events.
 *
 *   pnpm bench:query [--events 10000000] [--users 50000] [--accounts 2000] [--days 90] [--runs 30] [--keep] [--no-naive] [--load-connections 8] [--staleness-ms 4000] [--figure-cache-mb 1024]
 *
 * DATABASE_URL set → that server (a fresh database is created on it; on a Citus coordinator, on every
 * node, and the tables are distributed); unset → a throwaway cluster.
 * --keep (with DATABASE_URL): load into a database named for the sizes and keep it, so a later run
 * with the same sizes skips the minutes of loading and measures only the routes. --no-naive skips the
 * naive-SQL reference (minutes at 10 M events). Each route's first call is measured three times: on
 * the service that loaded the data, after a restart (nothing cached), and after a restart as
 * deployed with UPTAKE_READY_WHEN_WARM=1 (the time to /readyz 200 reported, then each route as
 * readers ask it: without asOf, the overview's NPS as of yesterday). After the warm calls, one fold
 * of 500 users' events of today is timed, as the score-points worker makes it. The freshness is measured twice: on an otherwise
 * idle service, and under full ingestion load (--load-connections loops sending 100-event batches
 * as fast as the service takes them; 0 skips it). --staleness-ms: the service's
 * UPTAKE_FIGURE_MAX_STALENESS_MS (its default when absent); each freshness probe first waits that
 * long after the last one, so CI's small run sets it low. --figure-cache-mb: the service's
 * UPTAKE_FIGURE_CACHE_MB, for sizes whose warmed figures outgrow the default (docs/deploy.md).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { generateProjectKeys, hashSecretKey } from '../src/projects/keys.ts';
import { createProject } from '../src/projects/projects.queries.ts';
import { createChangeTracker } from '../src/derived/change-tracker.ts';
import { rebuildDerivedTables } from '../src/derived/rebuild.ts';
import { fillActiveDays, projectsWithoutActiveDays } from '../src/derived/active-days.ts';
import { fillScorePoints, foldScorePoints } from '../src/derived/score-points.ts';
import { addDays, today } from '../src/domain/days.ts';
import { findScoreModel } from '../src/query/score-models.queries.ts';
import { LIMITS } from '@uptake/protocol';
import { startPostgresCluster } from '../test/support/postgres-cluster.ts';
import { createBenchDatabase } from './bench-database.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    events: { type: 'string', default: '10000000' },
    users: { type: 'string', default: '50000' },
    accounts: { type: 'string', default: '2000' },
    days: { type: 'string', default: '90' },
    runs: { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
    naive: { type: 'boolean', default: true },
    'load-connections': { type: 'string', default: '8' },
    'staleness-ms': { type: 'string' },
    'figure-cache-mb': { type: 'string' },
    progress: { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const USERS = Number(values.users);
const ACCOUNTS = Number(values.accounts);
const DAYS = Number(values.days);
const RUNS = Number(values.runs);
const LOAD_CONNECTIONS = Number(values['load-connections']);
const LOAD_BATCH = 100;
/** The users the ingestion load sends as (one in 20: 2,500 of 50 k, few batches at once touch the same rows); no probe of the freshness runs uses them. */
const isLoadUser = (user: number) => user % 20 === 19;
/**
 * The freshness probes' new users: `~` sorts after letters and digits, so a new user ties at the
 * lowest score ahead of every other (ascending order ranks ties by id, the greatest first), and
 * a later run's ahead of an earlier one's (a longer `Date.now()` comes only in the year 2286).
 */
const PROBE_USERS = '~fresh-';
/** Ids starting with `prefix`, as a range (read by index): from the prefix to the prefix with its last character's successor. */
const idsStartingWith = (prefix: string) => sql`user_id >= ${prefix} and user_id < ${prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
/** The users of the timed fold (`timeFold`). */
const FOLD_USERS = 500;

const log = (text: string) => process.stdout.write(`${text}\n`);
// --progress: each measure as it is taken, so a run of hours cut off before its tables still says what it measured.
const progress = values.progress ? (text: string) => log(`  ${text}`) : () => {};
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const cluster = process.env['DATABASE_URL'] ? undefined : await startPostgresCluster({ fsync: false });
const serverUrl = process.env['DATABASE_URL'] ?? cluster!.url;
const keep = values.keep && cluster === undefined;
const dbName = keep ? `uptake_bench_${N}_${USERS}_${ACCOUNTS}_${DAYS}` : `uptake_bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
// A kept database is reused only once its load finished (marked by the comment below): one cut
// off in its hours of loading at 100 M events holds a project and part of the rows.
const LOADED = 'uptake bench: loaded';
const keptRow = keep ? (await admin.query<{ note: string | null }>("select shobj_description(oid, 'pg_database') as note from pg_database where datname = $1", [dbName])).rows[0] : undefined;
await admin.end();
if (keptRow && keptRow.note !== LOADED) throw new Error(`${dbName} is kept from a load that did not finish: drop it (drop database ${dbName} with (force)) and run again`);
const kept = keptRow !== undefined;
// On a Citus coordinator the database is made on every node, so the tables are distributed.
const created = kept ? undefined : await createBenchDatabase(serverUrl, dbName);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;

// The score-points worker is off until the points are filled: the bench fills them itself and
// times it. The restarted service runs it, as a deployed one does, so the new events of the
// freshness runs are folded into the kept points as they arrive. The rate limits are off: warm
// calls come faster than the query API's 50 a second, and the ingestion load is as fast as it goes.
// `deployed`: as `uptake serve` runs with UPTAKE_READY_WHEN_WARM=1 (the figures warmed at start, /readyz 503 until then).
const configOf = (worker: boolean, deployed = false) =>
  loadConfig({
    DATABASE_URL: url.toString(),
    DATABASE_QUERY_TIMEOUT_MS: '0',
    LOG_LEVEL: 'silent',
    UPTAKE_SCORE_POINTS: worker ? '1' : '0',
    UPTAKE_QUERY_RATE_LIMIT_PER_SECOND: '0',
    UPTAKE_RATE_LIMIT_PER_SECOND: '0',
    ...(deployed ? { UPTAKE_WARM_FIGURES: '1', UPTAKE_READY_WHEN_WARM: '1' } : {}),
    ...(values['staleness-ms'] === undefined ? {} : { UPTAKE_FIGURE_MAX_STALENESS_MS: values['staleness-ms'] }),
    ...(values['figure-cache-mb'] === undefined ? {} : { UPTAKE_FIGURE_CACHE_MB: values['figure-cache-mb'] }),
  });
const config = configOf(false);

/**
 * Fills a version's points as the score-points worker does. A day that fails (at 100 M events a
 * connection waited past the pool's 3 s while the service's segment check held every one) is
 * taken up again after the last day committed, as the worker's next round does.
 */
async function fillPoints(db: Kysely<Database>, projectId: string, version: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fillScorePoints(db, projectId, version);
      return;
    } catch (error) {
      if (attempt === 5) throw error;
      log(`v${version}'s points: a day failed (${(error as Error).message}); going on after the last day committed`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}
/** Folds a project's queued days until none is left, as the score-points worker does; answers how many it took. */
async function foldQueue(db: Kysely<Database>, projectId: string): Promise<number> {
  let folded = 0;
  for (let taken = -1; taken !== 0; folded += taken) taken = await foldScorePoints(db, projectId);
  return folded;
}
const startApp = (worker = false, deployed = false) => buildApp(worker ? configOf(true, deployed) : config, { logger: pino({ level: 'silent' }) });
let app = await startApp();
try {
  const db = app.store.db;
  let project: { projectId: string; secretKey: string; writeKey: string };
  const existing = kept ? await db.selectFrom('projects').select(['project_id', 'write_key']).executeTakeFirst() : undefined;
  if (existing) {
    // The key is stored hashed: a kept database gets a fresh one for this run.
    const secretKey = generateProjectKeys().secretKey;
    await db.updateTable('projects').set({ secret_key_hash: hashSecretKey(secretKey) }).where('project_id', '=', existing.project_id).execute();
    project = { projectId: existing.project_id, secretKey, writeKey: existing.write_key };
  } else project = await createProject(db, { name: 'Bench' });
  const p = project.projectId;
  const lastDay = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  log(`Query API benchmark: ${N.toLocaleString('en')} events, ${USERS} users, ${ACCOUNTS} accounts, ${DAYS} days to ${lastDay}`);

  let started = process.hrtime.bigint();
  if (!existing) {
    // One group call per user (joins account u % accounts, with its seats), through ingestion as
    // an SDK would send it: accounts, their traits, seats and memberships are what the service
    // makes of them, never rows written by hand that could drift from the schema.
    const joinedAt = `${addDays(lastDay, -(DAYS - 1))}T00:01:00.000Z`;
    for (let first = 0; first < USERS; first += LIMITS.maxEventsPerBatch) {
      const batch = [];
      for (let u = first; u < Math.min(USERS, first + LIMITS.maxEventsPerBatch); u++) {
        const account = u % ACCOUNTS;
        batch.push({ type: 'group', messageId: `g-${u}`, userId: `user-${u}`, groupId: `acct-${account}`, timestamp: joinedAt, traits: { seats: 10 + (account % 40) } });
      }
      const response = await app.inject({ method: 'POST', url: '/v1/batch', payload: { writeKey: project.writeKey, batch } });
      if (response.statusCode !== 200 || response.json<{ accepted: number }>().accepted !== batch.length) throw new Error(`group calls: ${response.statusCode} ${response.body}`);
    }
    // One identify per user with a role (one user in 9 without), for the scores by group.
    const roles = ['admin', 'analyst', 'manager', 'viewer'];
    for (let first = 0; first < USERS; first += LIMITS.maxEventsPerBatch) {
      const batch = [];
      for (let u = first; u < Math.min(USERS, first + LIMITS.maxEventsPerBatch); u++) {
        batch.push({ type: 'identify', messageId: `i-${u}`, userId: `user-${u}`, timestamp: joinedAt, traits: u % 9 === 0 ? {} : { role: roles[u % roles.length] } });
      }
      const response = await app.inject({ method: 'POST', url: '/v1/batch', payload: { writeKey: project.writeKey, batch } });
      if (response.statusCode !== 200 || response.json<{ accepted: number }>().accepted !== batch.length) throw new Error(`identify calls: ${response.statusCode} ${response.body}`);
    }
    // Skewed activity: a user's events fall on ~1/3 of days; features Zipf-like.
    await sql`
      insert into events (project_id, message_id, type, event, user_id, account_id, timestamp, received_at, properties)
      select ${p}, 'e-' || i, case when i % 7 = 0 then 'page' else 'track' end,
             case when i % 7 = 0 then 'Home' when i % 97 = 0 then '$nps_response' else 'Feature ' || (floor(pow(random(), 2) * 12))::int end,
             'user-' || u, null,
             ${lastDay}::date - (((i / ${USERS}::int) * 3 + u) % ${DAYS}::int)::int + (random() * interval '23 hours'), now(),
             case when i % 97 = 0 then jsonb_build_object('score', i % 11) else '{}'::jsonb end
      from (select i, (i::bigint * 7919) % ${USERS}::int as u from generate_series(0, ${N - USERS - 1}::int) i) s`.execute(db);
    const loadMs = ms(started);
    await sql`analyze`.execute(db);
    started = process.hrtime.bigint();
    await rebuildDerivedTables(db, createChangeTracker());
    await sql`analyze`.execute(db);
    log(`load ${(loadMs / 1000).toFixed(1)} s (${Math.round(N / (loadMs / 1000)).toLocaleString('en')} events/s), rebuild (kept activity included) ${(ms(started) / 1000).toFixed(1)} s`);
    // Loaded: a run cut off from here on leaves a database the next --keep run finishes (the points' fill resumes).
    await sql.raw(`comment on database ${dbName} is '${LOADED}'`).execute(db);
    started = process.hrtime.bigint();
    await fillPoints(db, p, 1);
    await sql`analyze`.execute(db);
    log(`score points of v1 filled ${(ms(started) / 1000).toFixed(1)} s`);
  } else {
    // v1's points, if a run was cut off while filling them (or the database is from before the kept points).
    log(`reusing the loaded database ${dbName}`);
    const ready = await db.selectFrom('score_point_versions').select('state').where('project_id', '=', p).where('version', '=', 1).executeTakeFirst();
    if (ready?.state !== 'ready') {
      started = process.hrtime.bigint();
      await fillPoints(db, p, 1);
      log(`score points of v1 filled ${(ms(started) / 1000).toFixed(1)} s (what an earlier run left)`);
    }
    // The kept activity, if the database is from before it (one transaction: a cut-off run left none).
    if ((await projectsWithoutActiveDays(db)).includes(p)) await fillActiveDays(db, p);
    // The days an earlier run's probes and load queued and did not see folded (it stopped, or its
    // worker had not caught up): a deployed service's worker folds them within seconds, so the
    // first calls measure a database as it keeps it, not thousands of users read from the counts.
    started = process.hrtime.bigint();
    const folded = await foldQueue(db, p);
    if (folded > 0) log(`${folded.toLocaleString('en')} queued days folded ${(ms(started) / 1000).toFixed(1)} s (what an earlier run left)`);
  }

  const auth = { authorization: `Bearer ${project.secretKey}` };
  const from = new Date(Date.parse(lastDay) - 29 * 86_400_000).toISOString().slice(0, 10);
  const from90 = new Date(Date.parse(lastDay) - 89 * 86_400_000).toISOString().slice(0, 10);
  // A shadow model to compare with version 1: a kept database reuses the one an earlier run made
  // (every kept version is folded with each new event, so one more per run would slow the folds).
  const keptShadow = await db.selectFrom('score_models').select('version').where('project_id', '=', p).where('status', '=', 'shadow').orderBy('version').executeTakeFirst();
  let shadowVersion = keptShadow?.version;
  if (shadowVersion === undefined) {
    const shadow = await app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: auth,
      payload: { features: { 'Feature 1': { weight: 3, label: 'One' }, 'Feature 5': { weight: 1, label: 'Five' }, 'Feature 9': { weight: 5, label: 'Nine' } }, activate: false },
    });
    if (shadow.statusCode !== 201) throw new Error(`shadow model: ${shadow.statusCode} ${shadow.body}`);
    shadowVersion = shadow.json<{ version: number }>().version;
  }
  // Its points filled, as the score-points worker (off here) does within seconds of its creation.
  started = process.hrtime.bigint();
  const shadowReady = await db.selectFrom('score_point_versions').select('state').where('project_id', '=', p).where('version', '=', shadowVersion).executeTakeFirst();
  if (shadowReady?.state !== 'ready') await fillPoints(db, p, shadowVersion);
  log(`shadow model v${shadowVersion}: points filled ${(ms(started) / 1000).toFixed(1)} s${shadowReady?.state === 'ready' ? ' (kept from an earlier run)' : ''}`);
  const from12Weeks = addDays(lastDay, -83);
  const routes: Array<[string, string]> = [
    ['user score', `/v1/users/user-123/score?asOf=${lastDay}`],
    ['account score', `/v1/accounts/acct-7/score?asOf=${lastDay}`],
    ['ranked users (top 50)', `/v1/scores/users?asOf=${lastDay}`],
    ['ranked accounts (top 50)', `/v1/scores/accounts?asOf=${lastDay}`],
    ['DAU/WAU/MAU 30 days, project', `/v1/metrics/active?from=${from}&to=${lastDay}`],
    ['DAU/WAU/MAU 30 days, account', `/v1/metrics/active?from=${from}&to=${lastDay}&accountId=acct-7`],
    ['DAU/WAU/MAU 90 days, project', `/v1/metrics/active?from=${from90}&to=${lastDay}`],
    ['DAU/WAU/MAU 90 days, account', `/v1/metrics/active?from=${from90}&to=${lastDay}&accountId=acct-7`],
    ['utilisation', `/v1/accounts/acct-7/utilisation?asOf=${lastDay}`],
    ['NPS, project', `/v1/nps?asOf=${lastDay}`],
    ['NPS, account', `/v1/nps?asOf=${lastDay}&accountId=acct-7`],
    ['segment first page (accounts: low-utilization)', `/v1/segments/low-utilization/members?asOf=${lastDay}`],
    ['segment first page (users: dormant)', `/v1/segments/dormant/members?asOf=${lastDay}`],
    ['scores by role, account', `/v1/accounts/acct-7/groups?asOf=${lastDay}`],
    ['scores by role, project', `/v1/groups?asOf=${lastDay}`],
    ['retention by week (12 weeks), project', `/v1/retention?by=week&from=${from12Weeks}&to=${lastDay}`],
    ['retention by week (12 weeks), account', `/v1/retention?by=week&from=${from12Weeks}&to=${lastDay}&accountId=acct-7`],
    ['retention by month (90 days), project', `/v1/retention?by=month&from=${from90}&to=${lastDay}`],
    [`score-model comparison v1 ↔ v${shadowVersion}, users`, `/v1/score-models/compare?a=1&b=${shadowVersion}&asOf=${lastDay}&of=users`],
    [`score-model comparison v1 ↔ v${shadowVersion}, accounts`, `/v1/score-models/compare?a=1&b=${shadowVersion}&asOf=${lastDay}&of=accounts`],
    // Health and explained score changes (docs/api.md, Health and Why a score changed).
    ['account health', `/v1/accounts/acct-7/health?asOf=${lastDay}`],
    ['account health series, 30 days', `/v1/accounts/acct-7/health/series?from=${from}&to=${lastDay}`],
    ['accounts by health (red band, first page)', `/v1/accounts?asOf=${lastDay}&sort=health&order=asc&band=red`],
    ['account score changes, 30 days', `/v1/accounts/acct-7/score/changes?from=${from}&to=${lastDay}`],
    ['user score changes, 30 days', `/v1/users/user-123/score/changes?from=${from}&to=${lastDay}`],
  ];
  /**
   * A request answered 503 (at 100 M events the pool's connections held past its 3 s by the
   * computations beside it) made again after its Retry-After, at most 20 times, as a client does
   * (a batch with the same messageIds: stored once); throws unless it ends in a 200.
   */
  const injectUntil200 = async (request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object }, onRefused: (body: string) => void) => {
    for (let refused = 0; ; refused++) {
      const response = await app.inject(request);
      if (response.statusCode === 200) return;
      if (response.statusCode !== 503 || refused === 20) throw new Error(`${request.url}: ${response.statusCode} ${response.body}`);
      onRefused(response.body);
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers['retry-after'] ?? 1)));
    }
  };
  // A call's time runs to its 200; the 503s before it are counted in the output.
  let callsRefused = 0;
  const call = async (path: string) => {
    const t0 = process.hrtime.bigint();
    await injectUntil200({ method: 'GET', url: path, headers: auth }, (body) => {
      callsRefused++;
      progress(`${path}: 503 ${body}`);
    });
    return ms(t0);
  };
  // The first calls of a service that just started on the loaded database (nothing cached in
  // it), each route in turn; then the warm calls.
  const measure = async (phase: string, into: Map<string, number>, name: string, path: string) => {
    into.set(name, await call(path));
    progress(`${phase}: ${name} ${into.get(name)!.toFixed(1)} ms`);
  };
  const first = new Map<string, number>();
  for (const [name, path] of routes) await measure('first call', first, name, path);
  const warm = new Map<string, number[]>();
  for (const [name, path] of routes) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await call(path));
    warm.set(name, times.sort((a, b) => a - b));
    progress(`warm: ${name} p50 ${pct(times, 50).toFixed(2)} ms, p95 ${pct(times, 95).toFixed(2)} ms`);
  }
  const rssMb = (process.memoryUsage().rss / 2 ** 20).toFixed(0);
  const foldLine = await timeFold();
  // A restart: a new service (new pool, empty figure cache, the score-points worker on) on the same warm database.
  await app.close();
  app = await startApp(true);
  const afterRestart = new Map<string, number>();
  for (const [name, path] of routes) await measure('after a restart', afterRestart, name, path);
  // A restart as deployed with UPTAKE_READY_WHEN_WARM=1: the time until /readyz answers 200, then
  // each route's first call as readers make it: a backend without asOf (today, the default), the
  // dashboard's overview its NPS as of yesterday and its series and cohorts to yesterday.
  await app.close();
  const restarted = process.hrtime.bigint();
  app = await startApp(true, true);
  while ((await app.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  const readyMs = ms(restarted);
  progress(`as deployed: ready after ${(readyMs / 1000).toFixed(1)} s`);
  const asDeployed = (name: string, path: string) => (name === 'NPS, project' ? path : path.replace(/[?&]asOf=[^&]*$/, '').replace(/asOf=[^&]*&/, ''));
  const afterReady = new Map<string, number>();
  for (const [name, path] of routes) await measure('as deployed, once ready', afterReady, name, asDeployed(name, path));
  const rows: string[] = [
    `| route | first call ms | first call after a restart ms | first call after a restart as deployed, once ready (${(readyMs / 1000).toFixed(1)} s) ms | p50 ms | p95 ms |`,
    '|---|---|---|---|---|---|',
  ];
  for (const [name] of routes) {
    const times = warm.get(name)!;
    rows.push(`| ${name} | ${first.get(name)!.toFixed(1)} | ${afterRestart.get(name)!.toFixed(1)} | ${afterReady.get(name)!.toFixed(1)} | ${pct(times, 50).toFixed(2)} | ${pct(times, 95).toFixed(2)} |`);
  }

  /**
   * How long after its 200 a new user's first events (a feature use naming an account, an NPS answer,
   * an identify making them a champion) and one more feature use of an existing user show in each figure
   * as of today, while the figures are cached: the staleness bound plus a recomputation. `together`:
   * one batch, every figure polled at once (every figure's refresh competes: the worst case); else
   * one batch per figure, only that figure polled (as a person watching one page meets it), each
   * on an account of its own.
   */
  async function freshness(together: boolean, underLoad = false): Promise<string> {
    const runId = Date.now();
    // As of today, as a dashboard asks (no asOf) and as the segment watcher computes: every
    // instance keeps today's figures current, so a probe as of an earlier day would measure
    // figures nobody else reads (and the watcher's refreshes of today's beside them).
    const day = today();
    const dayFrom = addDays(day, -29);
    const get = async (path: string) => {
      const response = await app.inject({ method: 'GET', url: path, headers: auth });
      return { status: response.statusCode, body: response.statusCode === 200 ? (response.json() as Record<string, unknown>) : {} };
    };
    type Probe = { name: string; path: string; value: (answer: { status: number; body: Record<string, unknown> }) => unknown };
    const probesFor = (fresh: string, account: string, someone: string): Probe[] => [
      { name: 'user score', path: `/v1/users/${fresh}/score?asOf=${day}`, value: (a) => a.body['score'] ?? null },
      { name: 'account score', path: `/v1/accounts/${account}/score?asOf=${day}`, value: (a) => a.body['score'] },
      // Whether the new user is among the lowest 50: its one feature use ties at the lowest score,
      // and ties rank by id (the greatest first in ascending order), so it is named to come first
      // (PROBE_USERS).
      { name: 'ranked users (top 50, ascending)', path: `/v1/scores/users?asOf=${day}&order=asc&limit=50`, value: (a) => (a.body['items'] as Array<{ userId: string }> | undefined)?.some((item) => item.userId === fresh) ?? null },
      { name: 'DAU/WAU/MAU 90 days, project', path: `/v1/metrics/active?from=${addDays(day, -89)}&to=${day}`, value: (a) => JSON.stringify((a.body['days'] as unknown[] | undefined)?.at(-1)) },
      { name: 'NPS, project', path: `/v1/nps?asOf=${day}`, value: (a) => a.body['responses'] },
      { name: 'utilisation', path: `/v1/accounts/${account}/utilisation?asOf=${day}`, value: (a) => a.body['activeUsers30d'] },
      // The segment facts: the same figure answers segment pages and the accounts list by health.
      { name: "a user's segments (new-users)", path: `/v1/users/${fresh}/segments?asOf=${day}`, value: (a) => JSON.stringify(a.body) },
      { name: 'scores by role, account', path: `/v1/accounts/${account}/groups?asOf=${day}`, value: (a) => JSON.stringify(a.body['groups']) },
      // The new user has no role: the missing group gains a user.
      { name: 'scores by role, project', path: `/v1/groups?asOf=${day}`, value: (a) => JSON.stringify(a.body['groups']) },
      { name: 'retention by week, project', path: `/v1/retention?by=week&from=${addDays(day, -83)}&to=${day}`, value: (a) => JSON.stringify(a.body['cohorts']) },
      { name: 'score-model comparison, users', path: `/v1/score-models/compare?a=1&b=${shadowVersion}&asOf=${day}&of=users`, value: (a) => a.body['count'] },
      // The new user is the account's first champion, so its health surely moves.
      { name: 'account health', path: `/v1/accounts/${account}/health?asOf=${day}`, value: (a) => JSON.stringify(a.body['components']) },
      { name: 'account health series, 30 days', path: `/v1/accounts/${account}/health/series?from=${dayFrom}&to=${day}`, value: (a) => JSON.stringify((a.body['days'] as unknown[] | undefined)?.at(-1)) },
      { name: 'account score changes, 30 days', path: `/v1/accounts/${account}/score/changes?from=${dayFrom}&to=${day}`, value: (a) => a.body['change'] },
      { name: 'user score changes, 30 days (an existing user)', path: `/v1/users/${someone}/score/changes?from=${dayFrom}&to=${day}`, value: (a) => a.body['change'] },
    ];
    let lastAcknowledged: bigint | undefined;
    let probeBatchesRefused = 0;
    /** Sends the new user's events naming `account` and one of `someone`'s; polls `probes` on their own until each shows them. */
    const sendAndPoll = async (fresh: string, account: string, someone: string, probes: Probe[], seenAfter: Map<string, number>) => {
      // Past the staleness bound since the last batch, a read waits for the figure of the current
      // data: the value before is exact, and no refresh of the last batch's data is still running.
      const settle = lastAcknowledged === undefined ? 0 : config.figureMaxStalenessMs + 100 - ms(lastAcknowledged);
      if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
      let unavailable = 0;
      // The values before, from 200s only: a 503 (a pool whose connections the refreshes hold, at
      // 100 M events under load) read as a value would make the next 200 look like the change.
      const answered = async (path: string) => {
        for (;;) {
          const answer = await get(path);
          if (answer.status < 500) return answer;
          unavailable++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const before = await Promise.all(probes.map(async (probe) => probe.value(await answered(probe.path))));
      const at = new Date(Date.now() - 1000).toISOString();
      const message = (suffix: string, event: string, properties: Record<string, unknown>) => ({ type: 'track', event, userId: fresh, messageId: `${fresh}-${suffix}`, timestamp: at, properties, context: { groupId: account } });
      const batch = [
        message('use', 'Feature 1', {}),
        message('nps', '$nps_response', { score: 10 }),
        { type: 'identify', userId: fresh, messageId: `${fresh}-champion`, timestamp: at, traits: { isChampion: true } },
        { type: 'track', event: 'Feature 2', userId: someone, messageId: `${fresh}-someone`, timestamp: at },
      ];
      // Timed from the 200.
      await injectUntil200({ method: 'POST', url: '/v1/batch', payload: { writeKey: project.writeKey, batch } }, () => probeBatchesRefused++);
      const acknowledged = process.hrtime.bigint();
      lastAcknowledged = acknowledged;
      // Each figure polls on its own: a figure still recomputing must not hold back the polls of
      // the others (in one shared round, every figure would seem as late as the slowest).
      await Promise.all(
        probes.map(async (probe, index) => {
          while (ms(acknowledged) < 120_000) {
            const answer = await get(probe.path);
            if (answer.status >= 500) unavailable++;
            else if (probe.value(answer) !== before[index]) {
              seenAfter.set(probe.name, ms(acknowledged));
              progress(`new event visible: ${probe.name} ${seenAfter.get(probe.name)!.toFixed(0)} ms`);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }),
      );
      return unavailable;
    };
    // Accounts no earlier probe used, on a kept database too (the probes' new users are named
    // ~fresh-…, or fresh-… before): each probe makes its new user a champion and a promoter of the account, and on an
    // account that has one already, one more may leave its health score and band as they were (the
    // series' probe would wait in vain). A user's uses of a feature in a day count up to the daily
    // cap only, so the existing user changes with each run too.
    const probed = await sql<{ account_key: string }>`
      select distinct account_key from user_day_events where project_id = ${p} and (${idsStartingWith(PROBE_USERS)} or ${idsStartingWith('fresh-')}) and account_key <> ''`.execute(app.store.db);
    const used = new Set(probed.rows.map((row) => row.account_key));
    const accounts = Array.from({ length: ACCOUNTS }, (_, offset) => `acct-${(Math.floor(runId / 1000) + offset) % ACCOUNTS}`);
    const unprobed = accounts.filter((account) => !used.has(account));
    const pool = unprobed.length > 0 ? unprobed : accounts;
    const needed = together ? 1 : probesFor('', '', '').length;
    if (unprobed.length < needed) {
      log(`(only ${unprobed.length} of the ${ACCOUNTS} accounts were never probed, for ${needed} probes: some share an account, and a figure one more champion cannot move waits out the 120 s; a run probes 32: give more --accounts, or a fresh database)`);
    }
    const accountOf = (index: number) => pool[index % pool.length]!;
    const someoneOf = (index: number) => {
      const user = (Math.floor(runId / 1000) + 97 * index) % USERS;
      return `user-${isLoadUser(user) ? user - 1 : user}`;
    };
    const seenAfter = new Map<string, number>();
    let unavailable = 0;
    const names = probesFor('', '', '').map((probe) => probe.name);
    if (together) unavailable += await sendAndPoll(`${PROBE_USERS}${runId}`, accountOf(0), someoneOf(0), probesFor(`${PROBE_USERS}${runId}`, accountOf(0), someoneOf(0)), seenAfter);
    else {
      for (const [index] of names.entries()) {
        const fresh = `${PROBE_USERS}${runId}-${index}`;
        unavailable += await sendAndPoll(fresh, accountOf(index), someoneOf(index), [probesFor(fresh, accountOf(index), someoneOf(index))[index]!], seenAfter);
      }
    }
    const table = names.map((name) => `| ${name} | ${seenAfter.get(name)?.toFixed(0) ?? '> 120000'} |`);
    const heading = `${together ? 'one new event, every figure polled at once' : 'one new event per figure, that figure alone polled'}${underLoad ? ', under full ingestion load' : ''}`;
    return ['', `| figure (${heading}) | new events visible after (ms) |`, '|---|---|', ...table, '', `polls answered 503 meanwhile: ${unavailable}; probe batches answered 503 (sent again): ${probeBatchesRefused}`].join('\n');
  }

  const naive = async (text: string, query: ReturnType<typeof sql>) => {
    const t0 = process.hrtime.bigint();
    await query.execute(app.store.db);
    rows.push(`| naive SQL over raw events: ${text} | ${ms(t0).toFixed(0)} | | | | |`);
  };
  if (values.naive) await naive('DAU/MAU series (count distinct)', sql`
    select d::date, count(distinct e.user_id) filter (where (e.timestamp at time zone 'UTC')::date = d::date),
           count(distinct e.user_id)
    from generate_series(${from}::date, ${lastDay}::date, interval '1 day') d
    join events e on e.project_id = ${p} and e.type in ('track', 'page') and e.event not like '$nps%'
      and e.timestamp >= d - interval '29 days' and e.timestamp < d + interval '1 day'
    group by d`);
  if (values.naive) await naive('30-day score of every account', sql`
    select m.account_id, sum(least(n, 20)) from (
      select user_id, event, (timestamp at time zone 'UTC')::date as day, count(*) as n from events
      where project_id = ${p} and type = 'track' and left(event, 1) <> '$' and timestamp >= ${from}::date
      group by 1, 2, 3) c
    join memberships m on m.project_id = ${p} and m.user_id = c.user_id group by m.account_id`);
  log(rows.join('\n'));
  log(`\n${foldLine}`);
  log(`calls answered 503 and made again above: ${callsRefused}`);
  log(`\nRSS of the bench process (service and harness) after the warm calls: ${rssMb} MB`);
  log(await freshness(true));
  log(await freshness(false));
  if (LOAD_CONNECTIONS > 0) {
    const load = await startIngestionLoad();
    let underLoad: string[];
    let stored: Awaited<ReturnType<typeof load.stop>>;
    try {
      underLoad = [await freshness(true, true), await freshness(false, true)];
    } finally {
      // Before the service closes, also after a failed probe (whose error is then the one reported).
      stored = await load.stop();
    }
    const { events, seconds, failed } = stored;
    log(`\nFull ingestion load beside the probes below: ${LOAD_CONNECTIONS} loops of ${LOAD_BATCH}-event batches, ${events.toLocaleString('en')} events stored in ${seconds.toFixed(1)} s (${Math.round(events / seconds).toLocaleString('en')} events/s), ${failed} batches refused; the score-points worker's queue when it stopped: ${stored.queued.toLocaleString('en')} days`);
    log(underLoad.join('\n'));
  }

  /**
   * One fold as the score-points worker makes it (off in this service): FOLD_USERS users'
   * feature use of today, sent through ingestion, then the queue folded until empty (every kept
   * version's points and account totals, the kept activity).
   */
  async function timeFold(): Promise<string> {
    const users = Math.min(FOLD_USERS, USERS);
    const runId = Date.now();
    for (let first = 0; first < users; first += LIMITS.maxEventsPerBatch) {
      const batch = [];
      // 997 is prime: distinct users for any USERS it does not divide.
      for (let u = first; u < Math.min(users, first + LIMITS.maxEventsPerBatch); u++) batch.push({ type: 'track', event: 'Feature 3', userId: `user-${(u * 997) % USERS}`, messageId: `fold-${runId}-${u}`, timestamp: new Date(Date.now() - 60_000).toISOString() });
      await injectUntil200({ method: 'POST', url: '/v1/batch', payload: { writeKey: project.writeKey, batch } }, () => {});
    }
    const foldStarted = process.hrtime.bigint();
    const folded = await foldQueue(db, p);
    return `fold of ${users.toLocaleString('en')} users' events of today: ${folded.toLocaleString('en')} queued days in ${ms(foldStarted).toFixed(0)} ms`;
  }

  /**
   * Ingestion as fast as the service takes it, beside the freshness probes: LOAD_CONNECTIONS
   * loops each sending LOAD_BATCH-event batches until stopped. The events are stored and make
   * every figure of today recompute, as any events do, but move no figure's value, so a probe
   * still sees only its own batch: each is a use of one feature today by a user who already used
   * it the model's daily cap of times today (sent first), or a page view of that user.
   */
  async function startIngestionLoad() {
    const day = today();
    const users = Array.from({ length: USERS }, (_, user) => user).filter(isLoadUser);
    const event = (user: number, id: string, page: boolean) => ({
      type: page ? 'page' : 'track',
      ...(page ? { name: 'Home' } : { event: 'Feature 0' }),
      messageId: id,
      userId: `user-${user}`,
      timestamp: new Date(Date.now() - 1000).toISOString(),
      properties: { plan: 'pro' },
    });
    const send = async (batch: object[]) => {
      const response = await app.inject({ method: 'POST', url: '/v1/batch', payload: { writeKey: project.writeKey, batch } });
      return response.statusCode === 200 ? response.json<{ accepted: number }>().accepted : -1;
    };
    // Each load user at the daily cap of the feature today, and active today.
    const runId = Date.now();
    const cap = Array.from({ length: (await findScoreModel(app.store.db, project.projectId))!.dailyCap }, (_, i) => i);
    for (let first = 0; first < users.length; first += 5) {
      const batch = users.slice(first, first + 5).flatMap((user) => [...cap.map((i) => event(user, `cap-${runId}-${user}-${i}`, false)), event(user, `cap-${runId}-${user}-page`, true)]);
      if ((await send(batch)) !== batch.length) throw new Error(`ingestion load: the load users' first events were not stored on ${day}`);
    }
    // Past the staleness bound, no figure from before those first events is served any more.
    await new Promise((resolve) => setTimeout(resolve, config.figureMaxStalenessMs + 100));
    let stopped = false;
    let events = 0;
    let failed = 0;
    let sent = 0;
    const started = process.hrtime.bigint();
    const loops = Array.from({ length: LOAD_CONNECTIONS }, async () => {
      while (!stopped) {
        const number = sent++;
        // As the SDK flushes: 20 events of one user, five users a batch.
        const batch = Array.from({ length: LOAD_BATCH }, (_, i) => event(users[(number * 5 + Math.floor(i / 20)) % users.length]!, `load-${runId}-${number}-${i}`, i % 5 === 0));
        const accepted = await send(batch);
        if (accepted < 0) failed++;
        else events += accepted;
      }
    });
    return {
      async stop() {
        stopped = true;
        await Promise.all(loops);
        const seconds = ms(started) / 1000;
        // What the service's score-points worker had not folded yet: whether it keeps up.
        const { queued } = await app.store.db.selectFrom('score_point_queue').select((eb) => eb.fn.countAll<string>().as('queued')).where('project_id', '=', p).executeTakeFirstOrThrow();
        return { events, seconds, failed, queued: Number(queued) };
      },
    };
  }
} finally {
  await app.close();
  if (!keep) await created?.drop();
  cluster?.destroy();
}
