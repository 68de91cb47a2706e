import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { daysBetween, windowOf } from '../domain/days.ts';
import { accountRows } from '../figure-sql/activity-rows.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { attributionDays, attributionGroups } from './attribution-day.queries.ts';
import { accountsKeptDiffer, pointsReady } from './scores.queries.ts';

/** Every account seen by a day with its score (0 without points), and the same scores ascending (for percentiles). */
export type DayScores = { byId: Map<string, number>; ascending: Float64Array };

/** Per account, its points per day. */
type PointsByDay = Map<string, Map<string, number>>;

function addPoints(into: PointsByDay, rows: ReadonlyArray<{ account_id: string; day: string; points: number }>) {
  for (const row of rows) {
    const own = into.get(row.account_id) ?? new Map<string, number>();
    own.set(row.day, row.points);
    into.set(row.account_id, own);
  }
}

/**
 * Every account's score on each of `days` under a model, as `accountScoreTable` answers it for
 * each day (query/scores.queries.ts), from one read of the kept points of all the windows
 * (account_day_totals: each account's members' points summed per day, derived/score-points.ts;
 * slid over each day's window) instead of one sum per day; with `accountId`, that account's only (its `ascending` then holds only it).
 * Exact as `scoresFromPoints` is: the accounts whose points may differ from what the day's rows
 * give (their users have queued days or were linked, or they were joined, after the first day)
 * are recomputed from the per-day counts, per day and as of each day, in one read per group of
 * days with the same attribution (query/attribution-day.queries.ts). Null when the model's points
 * are not ready (then each day's table is the answer).
 *
 * The ids to recompute are `accountsKeptDiffer`'s (query/scores.queries.ts) as of the first day
 * over the span of all the days: a superset for each day, which changes no answer.
 */
export async function accountScoresByDay(db: Kysely<Database>, projectId: string, model: ScoreModel, days: readonly string[], accountId?: string): Promise<Map<string, DayScores> | null> {
  if (days.length === 0) return new Map();
  if (!(await pointsReady(db, projectId, model))) return null;
  const sorted = [...new Set(days)].sort();
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const span = { from: windowOf(first, model.windowDays).from, to: last };
  const ofAccount = accountId === undefined ? sql`` : sql`and account_id = ${accountId}`;
  // The ids to recompute first, the points after (as `scoresFromPoints`: a fold commits its
  // points and takes its days off the queue at once).
  const [changed, attribution] = await Promise.all([
    sql<{ id: string }>`select c.id from (${accountsKeptDiffer(projectId, first, span)}) c where true ${accountId === undefined ? sql`` : sql`and c.id = ${accountId}`}`.execute(db),
    attributionDays(db, projectId, sorted),
  ]);
  const [daily, seen] = await Promise.all([
    sql<{ day: string; account_id: string; points: number }>`
      select day::text as day, account_id, points from account_day_totals
      where project_id = ${projectId} and version = ${model.version} and day between ${span.from}::date and ${span.to}::date ${ofAccount}`.execute(db),
    sql<{ account_id: string; first_day: string }>`
      select account_id, first_day::text as first_day from account_first_seen where project_id = ${projectId} and first_day <= ${last}::date ${ofAccount}`.execute(db),
  ]);
  const kept: PointsByDay = new Map();
  addPoints(kept, daily.rows);
  const changedIds = changed.rows.map((row) => row.id);
  // The recomputed accounts' points per day, as of each group of days with the same rows: one
  // read per group (usually one), not one per day.
  const exactOf = new Map<string, PointsByDay>();
  if (changedIds.length > 0) {
    for (const { asOf, span: groupSpan } of attributionGroups(attribution, sorted, model.windowDays)) {
      const result = await sql<{ account_id: string; day: string; points: number }>`
        select c.account_id, c.day::text as day, sum(c.weight * c.capped)::float8 as points
        from (${cappedDailyCounts(model, accountRows(projectId, groupSpan, asOf, changedIds), ['account_id'])}) c group by 1, 2`.execute(db);
      const points: PointsByDay = new Map();
      addPoints(points, result.rows);
      exactOf.set(asOf, points);
    }
  }
  const isChanged = new Set(changedIds);
  const windowSum = (own: Map<string, number> | undefined, windowDays: string[]) => {
    let score = 0;
    if (own) for (const d of windowDays) score += own.get(d) ?? 0;
    return score;
  };
  const answer = new Map<string, DayScores>();
  for (const day of sorted) {
    const windowDays = daysBetween(windowOf(day, model.windowDays).from, day);
    const byId = new Map<string, number>();
    for (const row of seen.rows) if (row.first_day <= day) byId.set(row.account_id, 0);
    for (const [id, own] of kept) {
      if (isChanged.has(id)) continue;
      const score = windowSum(own, windowDays);
      if (score !== 0) byId.set(id, score);
    }
    const exact = exactOf.get(attribution.get(day)!);
    for (const id of changedIds) {
      const score = windowSum(exact?.get(id), windowDays);
      if (score !== 0) byId.set(id, score);
    }
    answer.set(day, { byId, ascending: Float64Array.from(byId.values()).sort() });
  }
  return answer;
}
