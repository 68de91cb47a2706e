import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { acrossProjects } from '../db/across-projects.ts';
import type { Database } from '../db/database.ts';
import { activeCountChanges } from '../figure-sql/active-counts.ts';
import { accountRows, AS_OF_NOW, isActivity, userRows } from '../figure-sql/activity-rows.ts';

// Kept activity (docs/architecture.md, "Scores at scale"): each identified user's days with
// activity (user_active_days), the project's DAU / WAU / MAU per day made of them
// (daily_active_users), and each account's active members per day (account_active_days), with the
// identity links and memberships as they are now. Folded from the days ingestion
// queues for the score points (score-points.ts), in the same transaction; filled once per project
// by the score-points worker (active_day_projects lists the projects whose rows are complete).
// A user's active days and an account's active pairs only grow: events are never taken away, an
// anonymousId is linked to one user for good, and a membership is never left (a deletion re-keys
// the rows, docs/privacy.md).

const ALL_DAYS = { from: '-infinity', to: 'infinity' };

/**
 * Serialises the writers of a project's kept activity (folds, fills, rebuilds) for the rest of
 * the transaction: a fold reads a user's neighbouring days to count the days it adds, so two
 * folds adding days of one user must not run side by side.
 */
export async function lockActiveDays(trx: Transaction<Database>, projectId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`active_days:${projectId}`}))`.execute(trx);
}

/** The account pairs with activity among rows `rows` (columns account_id, user_id, day, event), in key order. */
function accountActivePairs(projectId: string, rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    insert into account_active_days (project_id, day, account_id, user_id)
    select distinct ${projectId}, r.day, r.account_id, r.user_id from (${rows}) r where ${isActivity('r')}
    order by 2, 3, 4
    on conflict do nothing`;
}

/**
 * Adds the active days and account pairs among `pairs` (users and days whose rows changed) and
 * moves the daily counts by the days it adds. Call under `lockActiveDays`.
 */
export async function foldActiveDays(trx: Transaction<Database>, projectId: string, pairs: ReadonlyArray<{ u: string; d: string }>): Promise<void> {
  if (pairs.length === 0) return;
  const days = pairs.map((pair) => pair.d).sort();
  const span = { from: days[0]!, to: days.at(-1)! };
  const users = [...new Set(pairs.map((pair) => pair.u))];
  const touched = sql`select * from unnest(${pairs.map((pair) => pair.u)}::text[], ${pairs.map((pair) => pair.d)}::date[]) as t(u, d)`;
  // A new membership adds pairs of days the user was already active on: before the early return below.
  await accountActivePairs(projectId, sql`select a.* from (${accountRows(projectId, span, AS_OF_NOW, undefined, users)}) a join (${touched}) t on t.u = a.user_id and t.d = a.day`).execute(trx);
  const { rows: added } = await sql<{ user_id: string; day: string }>`
    with t as (${touched}),
    added as (
      insert into user_active_days (project_id, user_id, day)
      select distinct ${projectId}, r.user_id, r.day from (${userRows(projectId, span, AS_OF_NOW, users)}) r
      join t on t.u = r.user_id and t.d = r.day
      where ${isActivity('r')}
      order by 2, 3
      on conflict do nothing
      returning user_id, day
    )
    select user_id, day::text as day from added`.execute(trx);
  if (added.length === 0) return;
  // A day added at d changes the counts of d … d + 29 only, and those depend on the user's days
  // from d − 29: each user's days around the added ones, with them (+) and without them (−).
  await sql`
    with n as (select * from unnest(${added.map((row) => row.user_id)}::text[], ${added.map((row) => row.day)}::date[]) as n(u, d)),
    span as (select u, min(d) - 29 as lo, max(d) + 29 as hi from n group by u),
    after as (
      select a.user_id, a.day from user_active_days a join span s on s.u = a.user_id
      where a.project_id = ${projectId} and a.day between s.lo and s.hi
    ),
    signed as (
      select 1 as sign, user_id, day from after
      union all
      select -1, user_id, day from after where not exists (select from n where n.u = after.user_id and n.d = after.day)
    )
    insert into daily_active_users (project_id, day, dau, wau, mau)
    select ${projectId}, c.day, c.dau, c.wau, c.mau from (${activeCountChanges(sql`select * from signed`)}) c order by c.day
    on conflict (project_id, day) do update
    set dau = daily_active_users.dau + excluded.dau, wau = daily_active_users.wau + excluded.wau, mau = daily_active_users.mau + excluded.mau`.execute(trx);
}

/** Makes a project's kept activity anew from its per-day counts (the fill, and `uptake rebuild`). */
export async function rebuildActiveDays(trx: Transaction<Database>, projectId: string): Promise<void> {
  await lockActiveDays(trx, projectId);
  await trx.deleteFrom('user_active_days').where('project_id', '=', projectId).execute();
  await trx.deleteFrom('daily_active_users').where('project_id', '=', projectId).execute();
  await trx.deleteFrom('account_active_days').where('project_id', '=', projectId).execute();
  await sql`
    insert into user_active_days (project_id, user_id, day)
    select distinct ${projectId}, r.user_id, r.day from (${userRows(projectId, ALL_DAYS, AS_OF_NOW)}) r where ${isActivity('r')}`.execute(trx);
  await sql`
    insert into daily_active_users (project_id, day, dau, wau, mau)
    select ${projectId}, c.day, c.dau, c.wau, c.mau
    from (${activeCountChanges(sql`select 1 as sign, user_id, day from user_active_days where project_id = ${projectId}`)}) c`.execute(trx);
  await accountActivePairs(projectId, accountRows(projectId, ALL_DAYS, AS_OF_NOW)).execute(trx);
  await sql`insert into active_day_projects (project_id) values (${projectId}) on conflict do nothing`.execute(trx);
}

/**
 * Fills a project's kept activity in one transaction (days queued meanwhile are folded after
 * it: a fold adds only days not there yet).
 *
 * @example
 * await fillActiveDays(db, projectId);
 */
export async function fillActiveDays(db: Kysely<Database>, projectId: string): Promise<void> {
  await db.transaction().execute((trx) => rebuildActiveDays(trx, projectId));
}

/** Projects whose kept activity is not filled yet (named cross-project work, docs/scale-out.md). */
export async function projectsWithoutActiveDays(db: Kysely<Database>): Promise<string[]> {
  // Two plain scans joined here: on Citus the projects are a reference table.
  const [projects, filled] = await acrossProjects(db, (trx) =>
    Promise.all([trx.selectFrom('projects').select('project_id').orderBy('project_id').execute(), trx.selectFrom('active_day_projects').select('project_id').execute()]),
  );
  const done = new Set(filled.map((row) => row.project_id));
  return projects.map((row) => row.project_id).filter((projectId) => !done.has(projectId));
}
