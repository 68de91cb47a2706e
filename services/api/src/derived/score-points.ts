import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import { acrossProjects } from '../db/across-projects.ts';
import { earlierOf, laterOf } from '../domain/days.ts';
import { foldActiveDays, lockActiveDays } from './active-days.ts';
import type { Database } from '../db/database.ts';
import { accountRows, AS_OF_NOW, userRows } from '../figure-sql/activity-rows.ts';
import { cappedDailyCounts, scoredRows } from '../figure-sql/figures.ts';
import { DEFAULT_SCORE_MODEL, toScoreModel, type ScoreModelRow } from '../figure-sql/stored-score-models.ts';

// The kept score points (docs/architecture.md, "Scores at scale"): per model version, each user's
// points per UTC day (user_day_points) and each member's part of an account's points per day
// (account_day_points), with the identity links and memberships as they are now. Ingestion queues
// the days it changed (score_point_queue) in the transaction that stores the events, at the cost
// of one more WITH item; `foldScorePoints` folds the queue into the points; `fillScorePoints`
// makes a version's points from the per-day counts once (a new version, or a database from before
// the points existed). Per account and day, the members' points summed and the scored features
// used are kept too (account_day_totals), in the same transactions.

/** What a batch changed: users' days, anonymousIds' days (their linked user's), users whose every day changed. */
type TouchedDays = {
  userDays: Array<{ id: string; day: string }>;
  anonymousDays: Array<{ id: string; day: string }>;
  /** Users with a new link or membership: every day of theirs is attributed anew. */
  everyDayOf: string[];
};

/** The day of a queue entry that stands for every day of its user (a new link or join). */
export const EVERY_DAY = '-infinity';

export type QueuedDay = { anonymous: boolean; id: string; day: string };

/**
 * A WITH item queueing days for `foldScorePoints` (undefined when there are none), for the
 * statement that writes the per-day counts: entries in key order, so concurrent batches queueing
 * the same day wait for each other in one order. A day already queued is locked, not skipped
 * (DO UPDATE, not DO NOTHING): a fold cannot take that entry before this transaction commits (it
 * skips locked entries), and a fold that took it first makes this insert wait and then queue the
 * day anew. With DO NOTHING, a fold taking the entry meanwhile read the counts without this
 * batch's and left nothing queued: its events were missing from the kept points for good.
 */
export function queuedDays(projectId: string, entries: QueuedDay[]): RawBuilder<unknown> | undefined {
  if (entries.length === 0) return undefined;
  const sorted = [...entries].sort((a, b) => Number(a.anonymous) - Number(b.anonymous) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return sql`score_point_queue_written as (
    insert into score_point_queue (project_id, anonymous, subject_id, day)
    select ${projectId}, n, i, d from unnest(${sorted.map((e) => e.anonymous)}::boolean[], ${sorted.map((e) => e.id)}::text[], ${sorted.map((e) => e.day)}::date[]) with ordinality as input(n, i, d, o)
    order by o
    on conflict (project_id, anonymous, subject_id, day) do update set day = excluded.day)`;
}

/** Queues days for `foldScorePoints` in a statement of their own. */
export async function queueScorePoints(trx: Transaction<Database>, projectId: string, entries: QueuedDay[]): Promise<void> {
  const item = queuedDays(projectId, entries);
  if (item) await sql`with ${item} select 1`.execute(trx);
}

/** The versions whose points are kept (being filled or ready) and whose model still counts (active or shadow). */
function keptVersions(projectId: string): RawBuilder<unknown> {
  return sql`
    select s.version, s.filled_through::text, m.features, m.window_days, m.daily_cap, coalesce(m.status, 'active') as status, m.created_at
    from score_point_versions s
    left join score_models m on m.project_id = s.project_id and m.version = s.version
    where s.project_id = ${projectId} and coalesce(m.status, 'active') in ('active', 'shadow')`;
}

type KeptRow = Omit<ScoreModelRow, 'features' | 'window_days' | 'daily_cap' | 'created_at'> & {
  features: ScoreModelRow['features'] | null;
  window_days: number | null;
  daily_cap: number | null;
  created_at: Date | null;
  /** score_point_versions.filled_through as text. */
  filled_through: string | null;
};

/** Version 1 without a row is the default model (a project that never stored a model). */
function modelOf(row: KeptRow): ScoreModel {
  if (row.features === null || row.window_days === null || row.daily_cap === null || row.created_at === null) {
    return { ...DEFAULT_SCORE_MODEL, version: row.version, status: row.status };
  }
  return toScoreModel({ ...row, features: row.features, window_days: row.window_days, daily_cap: row.daily_cap, created_at: row.created_at });
}

/**
 * The points of one version for the (user, day) pairs `pairs` (a VALUES-like relation with
 * columns u, d), computed from the rows as they are now: a user's points per day, and each
 * account's share of them per member and day. `conflict` is what an existing row gets. Given
 * pairs, the accounts' item returns the (day, account_id) of each row it wrote.
 */
function pointWrites(projectId: string, model: ScoreModel, span: { from: string; to: string }, users: readonly string[] | undefined, pairs: RawBuilder<unknown> | undefined, conflict: 'replace' | 'keep', name: string): RawBuilder<unknown>[] {
  const onConflict = (key: RawBuilder<unknown>) =>
    conflict === 'replace' ? sql`on conflict (${key}) do update set points = excluded.points` : sql`on conflict (${key}) do nothing`;
  const userPoints = sql`
    select c.user_id, c.day, sum(c.weight * c.capped)::float8 as points
    from (${cappedDailyCounts(model, userRows(projectId, span, AS_OF_NOW, users))}) c group by c.user_id, c.day`;
  const accountPoints = sql`
    select c.account_id, c.user_id, c.day, sum(c.weight * c.capped)::float8 as points
    from (${cappedDailyCounts(model, accountRows(projectId, span, AS_OF_NOW, undefined, users), ['account_id'])}) c group by c.account_id, c.user_id, c.day`;
  // Given pairs: each gets its row (0 when nothing it did counts), so a later event finds it to lock.
  const userSelect = pairs
    ? sql`select t.d, t.u, coalesce(x.points, 0) from (${pairs}) t left join (${userPoints}) x on x.user_id = t.u and x.day = t.d`
    : sql`select x.day, x.user_id, x.points from (${userPoints}) x`;
  const accountSelect = pairs
    ? sql`select x.day, x.account_id, x.user_id, x.points from (${accountPoints}) x join (${pairs}) t on t.u = x.user_id and t.d = x.day`
    : sql`select x.day, x.account_id, x.user_id, x.points from (${accountPoints}) x`;
  return [
    sql`${sql.id(`${name}_users`)} as (
      insert into user_day_points (project_id, version, day, user_id, points)
      select ${projectId}, ${model.version}::int, p.* from (${userSelect}) p(day, user_id, points) order by 1, 2
      ${onConflict(sql`project_id, version, day, user_id`)})`,
    sql`${sql.id(`${name}_accounts`)} as (
      insert into account_day_points (project_id, version, day, account_id, user_id, points)
      select ${projectId}, ${model.version}::int, p.* from (${accountSelect}) p(day, account_id, user_id, points) order by 1, 2, 3
      ${onConflict(sql`project_id, version, day, account_id, user_id`)}
      ${pairs ? sql`returning day, account_id` : sql``})`,
  ];
}

/**
 * Brings one version's account totals (account_day_totals: an account's points per day, its
 * members' kept rows summed, and the scored features its rows used that day) up to date for the
 * (day, account) keys `keys` (columns day, account_id), after their members' rows were written
 * in this transaction. Locks each total first (in key order), then recomputes them in a statement
 * of its own: every writer of members' rows locks their totals after writing them, so the last to
 * lock a total sees every other writer's rows committed.
 *
 * The features are made from every row of those days (a fill, a rebuild), or, given the `touched`
 * users and (user, day) pairs of a fold, added from those rows only: an account's rows of a day
 * only grow (new events, links and joins; a link or join queues every day of its user), so its
 * features only grow, and a fold reads no other member's rows.
 */
async function updateAccountTotals(trx: Transaction<Database>, projectId: string, model: ScoreModel, keys: RawBuilder<unknown>, touched?: { users: readonly string[]; pairs: RawBuilder<unknown> }): Promise<void> {
  const { rows } = await sql<{ day: string; account_id: string }>`
    with locked as (
      insert into account_day_totals (project_id, version, day, account_id, points, features)
      select ${projectId}, ${model.version}::int, k.day, k.account_id, 0, '{}'::text[] from (select distinct day, account_id from (${keys}) x) k order by 3, 4
      on conflict (project_id, version, day, account_id) do update set points = account_day_totals.points
      returning day, account_id
    )
    select day::text as day, account_id from locked`.execute(trx);
  if (rows.length === 0) return;
  const days = rows.map((row) => row.day);
  const ids = rows.map((row) => row.account_id);
  const span = { from: days.reduce(earlierOf), to: days.reduce(laterOf) };
  const features = touched
    ? sql`select c.* from (${scoredRows(model, accountRows(projectId, span, AS_OF_NOW, undefined, touched.users))}) c join (${touched.pairs}) t on t.u = c.user_id and t.d = c.day`
    : scoredRows(model, accountRows(projectId, span, AS_OF_NOW));
  const featuresNow = touched ? sql`array(select distinct e.event from unnest(t.features || n.features) as e(event) order by e.event)` : sql`n.features`;
  // One aggregate over the keys, their members' points and their features, not two aggregates
  // left-joined to the keys: on tables whose statistics lag (a new database, a fresh project) the
  // planner expects one row from each and joins them by nested loops, one pass over every
  // aggregate per key, 40 ms for 250 keys and quadratic in the fold's size.
  await sql`
    with k as (select * from unnest(${days}::date[], ${ids}::text[]) as k(day, account_id)),
    x as (
      select k.day, k.account_id, 0::float8 as points, null::text as event from k
      union all
      select p.day, p.account_id, p.points, null from account_day_points p
      join k on k.day = p.day and k.account_id = p.account_id
      where p.project_id = ${projectId} and p.version = ${model.version}
      union all
      select c.day, c.account_id, 0, c.event from (${features}) c
      join k on k.day = c.day and k.account_id = c.account_id
    ),
    n as (
      select day, account_id, sum(points)::float8 as points, coalesce(array_agg(distinct event order by event) filter (where event is not null), '{}'::text[]) as features
      from x group by day, account_id
    )
    update account_day_totals t set points = n.points, features = ${featuresNow} from n
    where t.project_id = ${projectId} and t.version = ${model.version} and t.day = n.day and t.account_id = n.account_id`.execute(trx);
}

/** The (user, day) pairs whose rows a batch of queued days changed (columns u, d). */
function touchedPairs(projectId: string, touched: TouchedDays): RawBuilder<unknown> {
  return sql`
    select u, d from unnest(${touched.userDays.map((p) => p.id)}::text[], ${touched.userDays.map((p) => p.day)}::date[]) as input(u, d)
    union
    select l.user_id, x.d from unnest(${touched.anonymousDays.map((p) => p.id)}::text[], ${touched.anonymousDays.map((p) => p.day)}::date[]) as x(a, d)
    join identity_links l on l.project_id = ${projectId} and l.anonymous_id = x.a
    union
    select user_id, day from user_day_events where project_id = ${projectId} and user_id = any(${touched.everyDayOf}::text[])
    union
    select l.user_id, a.day from anonymous_day_events a
    join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.anonymous_id and l.user_id = any(${touched.everyDayOf}::text[])
    where a.project_id = ${projectId}`;
}

/**
 * Brings the kept points of every kept version up to date for the touched days: locks each
 * touched (version, day, user) row (in one order, so concurrent folds cannot deadlock), then
 * recomputes them in a statement of its own, whose snapshot sees every fold that held one of
 * those locks before and every event committed by then.
 */
async function updateScorePoints(trx: Transaction<Database>, projectId: string, touched: RawBuilder<unknown>): Promise<void> {
  // touched: the (user, day) pairs, columns u, d.
  const { rows } = await sql<KeptRow & { pairs: Array<{ u: string; d: string }> | null }>`
    with t as (${touched}),
    -- Only days with rows: a queued day of an id deleted since (docs/privacy.md) makes no row.
    active as (
      select t.u, t.d from t
      where exists (select from user_day_events e where e.project_id = ${projectId} and e.user_id = t.u and e.day = t.d)
         or exists (select from anonymous_day_events a join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.anonymous_id
                    where a.project_id = ${projectId} and l.user_id = t.u and a.day = t.d)
    ),
    v as (${keptVersions(projectId)}),
    locked as (
      insert into user_day_points (project_id, version, day, user_id, points)
      select ${projectId}, v.version, t.d, t.u, 0 from active t cross join v order by v.version, t.d, t.u
      on conflict (project_id, version, day, user_id) do update set points = user_day_points.points
      returning version, day, user_id
    )
    select v.*, (select json_agg(json_build_object('u', k.user_id, 'd', k.day::text)) from locked k where k.version = v.version) as pairs from v`.execute(trx);
  const kept = rows.filter((row) => row.pairs !== null && row.pairs.length > 0);
  if (kept.length === 0) return;
  // Every kept version locked the same pairs (t × v).
  const pairs = kept[0]!.pairs!;
  const days = pairs.map((p) => p.d).sort();
  const span = { from: days[0]!, to: days.at(-1)! };
  const users = [...new Set(pairs.map((p) => p.u))];
  const pairsSql = sql`select * from unnest(${pairs.map((p) => p.u)}::text[], ${pairs.map((p) => p.d)}::date[]) as t(u, d)`;
  const writes = kept.flatMap((row) => pointWrites(projectId, modelOf(row), span, users, pairsSql, 'replace', `v${row.version}`));
  // The accounts' keys from the rows just written, not looked up in account_day_points by user
  // and day: its key starts with the day and the account, so at 100 M events that lookup read
  // every row of the day once per pair (10 s per version for 500 users, docs/benchmarks.md). A
  // member's row the fold did not write kept its points, and its account's features only grow
  // from rows written here, so no other total changes.
  const written = kept.map((row) => sql`select ${row.version}::int as version, day::text as day, account_id from ${sql.id(`v${row.version}_accounts`)}`);
  const { rows: keys } = await sql<{ version: number; day: string; account_id: string }>`with ${sql.join(writes, sql`, `)} ${sql.join(written, sql` union all `)}`.execute(trx);
  // Then the totals of the accounts those rows belong to.
  for (const row of kept) {
    const own = keys.filter((key) => key.version === row.version);
    const accountKeys = sql`select * from unnest(${own.map((key) => key.day)}::date[], ${own.map((key) => key.account_id)}::text[]) as k(day, account_id)`;
    await updateAccountTotals(trx, projectId, modelOf(row), accountKeys, { users, pairs: pairsSql });
  }
}

/**
 * Folds up to `limit` queued days of a project into the kept points and the kept activity
 * (active-days.ts), in one transaction that takes them off the queue (other workers skip them
 * meanwhile): none is lost if it fails.
 * Answers how many entries it took.
 *
 * @example
 * while ((await foldScorePoints(db, projectId)) > 0);
 */
export async function foldScorePoints(db: Kysely<Database>, projectId: string, limit = 2000): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockActiveDays(trx, projectId);
    const { rows } = await sql<{ anonymous: boolean; subject_id: string; day: string }>`
      with taken as (
        delete from score_point_queue q
        using (select anonymous, subject_id, day from score_point_queue where project_id = ${projectId}
               order by anonymous, subject_id, day limit ${limit} for update skip locked) c
        where q.project_id = ${projectId} and q.anonymous = c.anonymous and q.subject_id = c.subject_id and q.day = c.day
        returning q.anonymous, q.subject_id, q.day
      )
      -- The day as text outside RETURNING (Citus allows only immutable functions there).
      select anonymous, subject_id, day::text as day from taken`.execute(trx);
    const touched: TouchedDays = { userDays: [], anonymousDays: [], everyDayOf: [] };
    for (const row of rows) {
      if (row.day === EVERY_DAY) touched.everyDayOf.push(row.subject_id);
      else (row.anonymous ? touched.anonymousDays : touched.userDays).push({ id: row.subject_id, day: row.day });
    }
    if (rows.length === 0) return 0;
    const { rows: pairs } = await sql<{ u: string; d: string }>`select u, d::text as d from (${touchedPairs(projectId, touched)}) t`.execute(trx);
    if (pairs.length > 0) {
      await foldActiveDays(trx, projectId, pairs);
      await updateScorePoints(trx, projectId, sql`select * from unnest(${pairs.map((p) => p.u)}::text[], ${pairs.map((p) => p.d)}::date[]) as t(u, d)`);
    }
    return rows.length;
  });
}

/** The projects with queued days (named cross-project work, docs/scale-out.md). */
export async function projectsWithQueuedDays(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await acrossProjects(db, (trx) => sql<{ project_id: string }>`select distinct project_id from score_point_queue`.execute(trx));
  return rows.map((row) => row.project_id);
}

/**
 * Makes one version's points from the per-day counts, a day per transaction (a long fill never
 * holds many rows locked), and marks the version ready. Rows folded meanwhile are kept: they are
 * as current as the fill's, and what is stored after the version is marked 'filling' is folded
 * into it from the queue. Each day's transaction records the day as filled, so a stopped fill
 * (a deploy, a crash, a lost connection) goes on after the last day it committed. `onDayFilled`
 * hears each day once it is committed.
 *
 * @example
 * await fillScorePoints(db, projectId, 2);
 */
export async function fillScorePoints(db: Kysely<Database>, projectId: string, version: number, onDayFilled: (day: string) => void = () => {}): Promise<'ready' | 'not kept'> {
  await db.insertInto('score_point_versions').values({ project_id: projectId, version, state: 'filling' }).onConflict((oc) => oc.columns(['project_id', 'version']).doNothing()).execute();
  const { rows: models } = await sql<KeptRow>`select * from (${keptVersions(projectId)}) v where v.version = ${version}`.execute(db);
  if (models.length === 0) return 'not kept';
  const model = modelOf(models[0]!);
  // Days after the mark only: an event of an earlier day stored since reached the points through the queue.
  const after = models[0]!.filled_through ?? '-infinity';
  const { rows: days } = await sql<{ day: string }>`
    select day::text from user_day_events where project_id = ${projectId} and day > ${after}::date
    union
    select a.day::text from anonymous_day_events a join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.anonymous_id
    where a.project_id = ${projectId} and a.day > ${after}::date
    order by 1`.execute(db);
  for (const { day } of days) {
    await db.transaction().execute(async (trx) => {
      // Users' rows first, in key order, then the accounts' (a fold locks a user's row before writing either).
      const [users, accounts] = pointWrites(projectId, model, { from: day, to: day }, undefined, undefined, 'keep', 'fill');
      await sql`with ${users!} select 1`.execute(trx);
      await sql`with ${accounts!} select 1`.execute(trx);
      await updateAccountTotals(trx, projectId, model, sql`select day, account_id from account_day_points where project_id = ${projectId} and version = ${model.version} and day = ${day}::date`);
      await trx.updateTable('score_point_versions').set({ filled_through: day }).where('project_id', '=', projectId).where('version', '=', version).execute();
    });
    onDayFilled(day);
  }
  await db.updateTable('score_point_versions').set({ state: 'ready', updated_at: new Date() }).where('project_id', '=', projectId).where('version', '=', version).execute();
  return 'ready';
}

/**
 * Recomputes the kept points of a project (every kept version) from its per-day counts, inside
 * the rebuild's transaction; versions whose model no longer counts lose their points.
 */
export async function rebuildScorePoints(trx: Transaction<Database>, projectId: string): Promise<void> {
  await sql`delete from score_point_queue where project_id = ${projectId}`.execute(trx);
  await sql`delete from user_day_points where project_id = ${projectId}`.execute(trx);
  await sql`delete from account_day_points where project_id = ${projectId}`.execute(trx);
  await sql`delete from account_day_totals where project_id = ${projectId}`.execute(trx);
  const { rows } = await sql<KeptRow>`${keptVersions(projectId)}`.execute(trx);
  await sql`delete from score_point_versions where project_id = ${projectId} and version <> all(${rows.map((row) => row.version)}::int[])`.execute(trx);
  for (const row of rows) {
    const [users, accounts] = pointWrites(projectId, modelOf(row), { from: '-infinity', to: 'infinity' }, undefined, undefined, 'keep', 'rebuild');
    await sql`with ${users!} select 1`.execute(trx);
    await sql`with ${accounts!} select 1`.execute(trx);
    await updateAccountTotals(trx, projectId, modelOf(row), sql`select day, account_id from account_day_points where project_id = ${projectId} and version = ${row.version}`);
    await sql`update score_point_versions set state = 'ready', updated_at = now() where project_id = ${projectId} and version = ${row.version}`.execute(trx);
  }
}

/**
 * The versions that need points (an active or shadow version without them, in any project) and
 * the kept versions whose model was retired since: the work of the score-points worker. Reads
 * every project (named cross-project work, docs/scale-out.md).
 */
export async function scorePointsWork(db: Kysely<Database>): Promise<{ fill: Array<{ projectId: string; version: number }>; drop: Array<{ projectId: string; version: number }> }> {
  // Plain scans joined here, not in SQL: on Citus a lateral join from the projects (a reference
  // table) to the distributed score models is not supported across shards.
  const [projects, models, kept, drop] = await acrossProjects(db, (trx) =>
    Promise.all([
      trx.selectFrom('projects').select('project_id').orderBy('project_id').execute(),
      trx.selectFrom('score_models').select(['project_id', 'version', 'status']).execute(),
      trx.selectFrom('score_point_versions').select(['project_id', 'version', 'state']).execute(),
      sql<{ project_id: string; version: number }>`
        select s.project_id, s.version from score_point_versions s
        join score_models m on m.project_id = s.project_id and m.version = s.version and m.status not in ('active', 'shadow')`.execute(trx),
    ]),
  );
  const ready = new Set(kept.filter((row) => row.state === 'ready').map((row) => `${row.project_id}\u0000${row.version}`));
  const withModels = new Set(models.map((row) => row.project_id));
  const counted = [
    ...models.filter((row) => row.status === 'active' || row.status === 'shadow'),
    // A project that never stored a model answers with version 1, the default.
    ...projects.filter((row) => !withModels.has(row.project_id)).map((row) => ({ project_id: row.project_id, version: 1 })),
  ];
  const fill = { rows: counted.filter((row) => !ready.has(`${row.project_id}\u0000${row.version}`)).sort((a, b) => (a.project_id < b.project_id ? -1 : a.project_id > b.project_id ? 1 : a.version - b.version)) };
  const pairs = (rows: Array<{ project_id: string; version: number }>) => rows.map((row) => ({ projectId: row.project_id, version: row.version }));
  return { fill: pairs(fill.rows), drop: pairs(drop.rows) };
}

/** Forgets a retired version's points (its answers come from the per-day counts again). */
export async function dropScorePoints(db: Kysely<Database>, projectId: string, version: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('score_point_versions').where('project_id', '=', projectId).where('version', '=', version).execute();
    await trx.deleteFrom('user_day_points').where('project_id', '=', projectId).where('version', '=', version).execute();
    await trx.deleteFrom('account_day_points').where('project_id', '=', projectId).where('version', '=', version).execute();
    await trx.deleteFrom('account_day_totals').where('project_id', '=', projectId).where('version', '=', version).execute();
  });
}
