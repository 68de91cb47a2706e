import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { daysBetween, windowOf } from '../domain/days.ts';
import { accountRows, AS_OF_NOW, endOfDay } from '../figure-sql/activity-rows.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';

/** Every account seen by a day with its score (0 without points), and the same scores ascending (for percentiles). */
export type DayScores = { byId: Map<string, number>; ascending: Float64Array };

/**
 * Every account's score on each of `days` under a model, as `accountScoreTable` answers it for
 * each day (query/scores.queries.ts), from one read of the kept points of all the windows
 * (account_day_points, summed per account and day, then slid over each day's window) instead of
 * one sum per day. Exact as `scoresFromPoints` is: the accounts whose points may differ from what
 * the day's rows give (their users have queued days or were linked, or they were joined, after the
 * first day) are recomputed from the per-day counts as of each day. Null when the model's points
 * are not ready (then each day's table is the answer).
 *
 * The rule of which ids to recompute is `scoresFromPoints`' (query/scores.queries.ts), taken over
 * the span of all the days at once (a superset for each day, which changes no answer); the two
 * could share it.
 */
export async function accountScoresByDay(db: Kysely<Database>, projectId: string, model: ScoreModel, days: readonly string[]): Promise<Map<string, DayScores> | null> {
  if (days.length === 0) return new Map();
  if (!(await pointsReady(db, projectId, model))) return null;
  const sorted = [...new Set(days)].sort();
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const span = { from: windowOf(first, model.windowDays).from, to: last };
  const changedUsers = sql`
    select user_id from identity_links where project_id = ${projectId} and link_day > ${first}::date
    union
    select subject_id from score_point_queue where project_id = ${projectId} and not anonymous
    union
    select l.user_id from score_point_queue q join identity_links l on l.project_id = q.project_id and l.anonymous_id = q.subject_id
    where q.project_id = ${projectId} and q.anonymous`;
  const [daily, seen, changed] = await Promise.all([
    sql<{ day: string; account_id: string; points: number }>`
      select day::text as day, account_id, sum(points)::float8 as points from account_day_points
      where project_id = ${projectId} and version = ${model.version} and day between ${span.from}::date and ${span.to}::date
      group by day, account_id`.execute(db),
    sql<{ account_id: string; first_day: string }>`
      select account_id, first_day::text as first_day from account_first_seen where project_id = ${projectId} and first_day <= ${last}::date`.execute(db),
    sql<{ id: string }>`
      with changed as (${changedUsers})
      select account_id as id from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(first)}
      union
      select r.account_id from (${accountRows(projectId, span, AS_OF_NOW, undefined, sql`select user_id from changed`)}) r`.execute(db),
  ]);
  // Per account, its points per day.
  const byAccount = new Map<string, Map<string, number>>();
  for (const row of daily.rows) {
    const own = byAccount.get(row.account_id) ?? new Map<string, number>();
    own.set(row.day, row.points);
    byAccount.set(row.account_id, own);
  }
  const changedIds = changed.rows.map((row) => row.id);
  // Two days at a time, as the figure cache computes day parts: a cold series must not take every pooled connection.
  const exact: Array<Map<string, number>> = [];
  for (let at = 0; at < sorted.length; at += 2) {
    exact.push(...(await Promise.all(sorted.slice(at, at + 2).map((day) => (changedIds.length === 0 ? new Map<string, number>() : exactScores(db, projectId, model, day, changedIds))))));
  }
  const isChanged = new Set(changedIds);
  const answer = new Map<string, DayScores>();
  for (const [index, day] of sorted.entries()) {
    const window = windowOf(day, model.windowDays);
    const windowDays = daysBetween(window.from, window.to);
    const byId = new Map<string, number>();
    for (const row of seen.rows) if (row.first_day <= day) byId.set(row.account_id, 0);
    for (const [accountId, own] of byAccount) {
      if (isChanged.has(accountId)) continue;
      let score = 0;
      for (const d of windowDays) score += own.get(d) ?? 0;
      if (score !== 0) byId.set(accountId, score);
    }
    for (const [accountId, score] of exact[index]!) byId.set(accountId, score);
    answer.set(day, { byId, ascending: Float64Array.from(byId.values()).sort() });
  }
  return answer;
}

/** Some accounts' scores as of a day, from the per-day counts (as query/scores.queries.ts `dayPoints` over the window). */
async function exactScores(db: Kysely<Database>, projectId: string, model: ScoreModel, asOf: string, accountIds: string[]): Promise<Map<string, number>> {
  const result = await sql<{ id: string; points: number }>`
    select c.account_id as id, sum(c.weight * c.capped)::float8 as points
    from (${cappedDailyCounts(model, accountRows(projectId, windowOf(asOf, model.windowDays), asOf, accountIds), ['account_id'])}) c group by 1`.execute(db);
  return new Map(result.rows.map((row) => [row.id, row.points]));
}

/** Whether the kept points of a model version can answer: filled, and the model still kept (as query/scores.queries.ts decides). */
async function pointsReady(db: Kysely<Database>, projectId: string, model: ScoreModel): Promise<boolean> {
  if (model.status !== 'active' && model.status !== 'shadow') return false;
  const row = await db.selectFrom('score_point_versions').select('state').where('project_id', '=', projectId).where('version', '=', model.version).executeTakeFirst();
  return row?.state === 'ready';
}
