import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { daysBetween, windowOf } from '../domain/days.ts';
import { accountRows } from '../figure-sql/activity-rows.ts';
import { accountsKeptDiffer, dayPoints, pointsReady } from './scores.queries.ts';

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
 * The ids to recompute are `accountsKeptDiffer`'s (query/scores.queries.ts) as of the first day
 * over the span of all the days: a superset for each day, which changes no answer.
 */
export async function accountScoresByDay(db: Kysely<Database>, projectId: string, model: ScoreModel, days: readonly string[]): Promise<Map<string, DayScores> | null> {
  if (days.length === 0) return new Map();
  if (!(await pointsReady(db, projectId, model))) return null;
  const sorted = [...new Set(days)].sort();
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const span = { from: windowOf(first, model.windowDays).from, to: last };
  // The ids to recompute first, the points after (as `scoresFromPoints`: a fold commits its
  // points and takes its days off the queue at once).
  const changed = await sql<{ id: string }>`${accountsKeptDiffer(projectId, first, span)}`.execute(db);
  const [daily, seen] = await Promise.all([
    sql<{ day: string; account_id: string; points: number }>`
      select day::text as day, account_id, sum(points)::float8 as points from account_day_points
      where project_id = ${projectId} and version = ${model.version} and day between ${span.from}::date and ${span.to}::date
      group by day, account_id`.execute(db),
    sql<{ account_id: string; first_day: string }>`
      select account_id, first_day::text as first_day from account_first_seen where project_id = ${projectId} and first_day <= ${last}::date`.execute(db),
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
    exact.push(...(await Promise.all(sorted.slice(at, at + 2).map((day) => (changedIds.length === 0 ? new Map<string, number>() : dayPoints(db, model, 'accounts', accountRows(projectId, windowOf(day, model.windowDays), day, changedIds)))))));
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
