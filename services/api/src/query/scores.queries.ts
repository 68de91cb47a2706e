import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { daysBetween, windowOf } from '../domain/days.ts';
import { featureLabel, featureWeight, percentileAgainst, scoreBreakdown } from '../domain/score.ts';
import { accountRows, AS_OF_NOW, endOfDay, isActivity, userRows, usersKeptDiffer } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { windowFigure } from './window-split.ts';

export type ScoreTable = {
  /** Score of everyone seen by the day (0 when nothing counted in the window). */
  byId: Map<string, number>;
  /** The same scores, ascending, for percentiles. */
  ascending: Float64Array;
  /** Ids by score descending, then id ascending. */
  ranked: Array<{ id: string; score: number }>;
};

function toScoreTable(seen: string[], scores: ReadonlyMap<string, number>): ScoreTable {
  const byId = new Map<string, number>();
  for (const id of seen) byId.set(id, 0);
  for (const [id, score] of scores) byId.set(id, score);
  const ranked = [...byId].map(([id, score]) => ({ id, score })).sort(byRank);
  return { byId, ascending: ascendingOf(ranked), ranked };
}

const byRank = (a: { id: string; score: number }, b: { id: string; score: number }) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The ranking's scores, ascending: reversed, not sorted again (-0 and 0 may then sit in either order, which no comparison of the percentile tells apart). */
function ascendingOf(ranked: ReadonlyArray<{ score: number }>): Float64Array {
  // A plain loop: Float64Array.from with a mapping function took 11-17 ms a table at 50 k ids (this 1-2 ms), on every refresh.
  const ascending = new Float64Array(ranked.length);
  for (let index = 0, last = ranked.length - 1; index <= last; index += 1) ascending[last - index] = ranked[index]!.score;
  return ascending;
}

/**
 * `previous` (made by `toScoreTable` or this, from the days before `before` and the last day's
 * points then, `previousLast`) brought up to date with the last day's points now (`last`) and the
 * ids first seen on the last day: only the ids whose points of the last day changed, and the newly
 * seen, are scored again and moved in the ranking; the table is what `toScoreTable` makes of
 * everyone seen and `sumOfDays([before, last])` (each score summed in the same order, so the same
 * double). After an event of today: a few ids, not a sort of 50 k.
 */
function updatedScoreTable(previous: ScoreTable, before: ReadonlyMap<string, number>, previousLast: ReadonlyMap<string, number>, last: ReadonlyMap<string, number>, newlySeen: readonly string[]): ScoreTable {
  const changed = new Set<string>();
  for (const [id, points] of last) if (previousLast.get(id) !== points) changed.add(id);
  for (const id of previousLast.keys()) if (!last.has(id)) changed.add(id);
  for (const id of newlySeen) if (!previous.byId.has(id)) changed.add(id);
  if (changed.size === 0) return previous;
  const byId = new Map(previous.byId);
  const moved: Array<{ id: string; score: number }> = [];
  for (const id of changed) {
    const score = 0 + (before.get(id) ?? 0) + (last.get(id) ?? 0);
    byId.set(id, score);
    moved.push({ id, score });
  }
  moved.sort(byRank);
  // The kept ranking without the changed ids, merged with them in rank order.
  const ranked: Array<{ id: string; score: number }> = [];
  let next = 0;
  for (const entry of previous.ranked) {
    if (changed.has(entry.id)) continue;
    while (next < moved.length && byRank(moved[next]!, entry) < 0) ranked.push(moved[next++]!);
    ranked.push(entry);
  }
  while (next < moved.length) ranked.push(moved[next++]!);
  return { byId, ascending: ascendingOf(ranked), ranked };
}

/**
 * Points per id on one day under a model (Σ weight × min(count, dailyCap) over features), the
 * part of a score that day adds. Scores are sums of these over the window, so a new event only
 * recomputes the part of its own day.
 */
export async function dayPoints(db: Kysely<Database>, model: ScoreModel, of: 'users' | 'accounts', rows: RawBuilder<unknown>): Promise<Map<string, number>> {
  const result = await sql<{ id: string; points: number }>`
    select ${sql.ref(of === 'users' ? 'c.user_id' : 'c.account_id')} as id, sum(c.weight * c.capped)::float8 as points
    from (${cappedDailyCounts(model, rows, of === 'users' ? [] : ['account_id'])}) c group by 1`.execute(db);
  return new Map(result.rows.map((row) => [row.id, row.points]));
}

function sumOfDays(parts: ReadonlyArray<ReadonlyMap<string, number>>): Map<string, number> {
  const scores = new Map<string, number>();
  for (const part of parts) for (const [id, points] of part) scores.set(id, (scores.get(id) ?? 0) + points);
  return scores;
}

/** Where each kind's score table comes from: who is seen by a day (first seen on or after `from`, when given), and one day's activity rows. */
const SCORED = {
  users: {
    seen: (db: Kysely<Database>, projectId: string, asOf: string, from = '1970-01-01') =>
      db.selectFrom('user_first_seen').select('user_id as id').where('project_id', '=', projectId).where('first_day', '>=', from).where('first_day', '<=', asOf).execute(),
    rows: (projectId: string, day: string, asOf: string) => userRows(projectId, { from: day, to: day }, asOf),
  },
  accounts: {
    seen: (db: Kysely<Database>, projectId: string, asOf: string, from = '1970-01-01') =>
      db.selectFrom('account_first_seen').select('account_id as id').where('project_id', '=', projectId).where('first_day', '>=', from).where('first_day', '<=', asOf).execute(),
    rows: (projectId: string, day: string, asOf: string) => accountRows(projectId, { from: day, to: day }, asOf),
  },
} as const;

/** Whether the kept points of a model version can answer (derived/score-points.ts): filled, and the model still kept. */
export async function pointsReady(db: Kysely<Database>, projectId: string, model: ScoreModel): Promise<boolean> {
  if (model.status !== 'active' && model.status !== 'shadow') return false;
  const row = await db.selectFrom('score_point_versions').select('state').where('project_id', '=', projectId).where('version', '=', model.version).executeTakeFirst();
  return row?.state === 'ready';
}

/**
 * The accounts whose kept points may differ from their rows as of `asOf` over `window` (column
 * `id`): those joined after `asOf`, and every account holding rows in the window of a user whose
 * kept rows may differ (`usersKeptDiffer`).
 */
export function accountsKeptDiffer(projectId: string, asOf: string, window: { from: string; to: string }): RawBuilder<unknown> {
  return sql`
    with changed as (${usersKeptDiffer(projectId, asOf)})
    select account_id as id from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(asOf)}
    union
    select r.account_id from (${accountRows(projectId, window, AS_OF_NOW, undefined, sql`select user_id from changed`)}) r`;
}

/**
 * Scores over `window` (days up to `asOf`) from the kept points (user_day_points; for accounts
 * their totals per day, account_day_totals): one sum over the window's rows, made with the links
 * and memberships as they are now. Recomputed from the per-day counts as of `asOf`: the ids whose
 * points lag what is stored (users with queued days, derived/score-points.ts) and those a link
 * or join after `asOf` changes (users linked later; accounts joined later); for accounts also
 * every account such a user's rows in the window belong to. Few, for a recent day.
 */
async function scoresFromPoints(db: Kysely<Database>, projectId: string, model: ScoreModel, window: { from: string; to: string }, asOf: string, of: 'users' | 'accounts'): Promise<Map<string, number>> {
  const inWindow = sql`project_id = ${projectId} and version = ${model.version} and day between ${window.from}::date and ${window.to}::date`;
  // The ids to recompute first, the sums after: a fold commits its points and takes its days off
  // the queue at once, so sums read later are at least as current as every id not recomputed.
  const changed = await sql<{ id: string }>`${of === 'users' ? sql`select user_id as id from (${usersKeptDiffer(projectId, asOf)}) c` : accountsKeptDiffer(projectId, asOf, window)}`.execute(db);
  const sums = await sql<{ id: string; score: number }>`
    select ${sql.ref(of === 'users' ? 'user_id' : 'account_id')} as id, sum(points)::float8 as score
    from ${sql.table(of === 'users' ? 'user_day_points' : 'account_day_totals')} where ${inWindow} group by 1 having sum(points) <> 0`.execute(db);
  const scores = new Map(sums.rows.map((row) => [row.id, row.score]));
  if (changed.rows.length === 0) return scores;
  const ids = changed.rows.map((row) => row.id);
  const exact = await dayPoints(db, model, of, of === 'users' ? userRows(projectId, window, asOf, ids) : accountRows(projectId, window, asOf, ids));
  for (const id of ids) scores.delete(id);
  for (const [id, score] of exact) scores.set(id, score);
  return scores;
}

/** Every id's points over `window` (days up to `asOf`, links and joins as of `asOf`): from the kept points once ready, else the sum of the days' parts, each kept in the figure cache. */
async function scoresOver(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, window: { from: string; to: string }, asOf: string, of: 'users' | 'accounts', ready: Promise<boolean>): Promise<Map<string, number>> {
  if (await ready) return scoresFromPoints(db, projectId, model, window, asOf, of);
  const parts = await cache.days(projectId, `${of === 'users' ? 'user' : 'account'}-points:${model.version}:${asOf}`, daysBetween(window.from, window.to), (day) => dayPoints(db, model, of, SCORED[of].rows(projectId, day, asOf)));
  return sumOfDays(parts);
}

/**
 * Every user's or account's score as of a day under a model, with everyone seen so far (cached
 * until new events): the window's days before `asOf` and the day itself added up
 * (query/window-split.ts), so an event of `asOf` reads that day's points, not the window's, and
 * moves only the ids whose points of that day changed (`updatedScoreTable`).
 */
function scoreTable(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string, of: 'users' | 'accounts'): Promise<ScoreTable> {
  // Read once for both parts of a computation (and not at all when the table is served kept).
  let ready: Promise<boolean> | undefined;
  return windowFigure(
    cache,
    projectId,
    `${of}:${model.version}:${asOf}`,
    windowOf(asOf, model.windowDays),
    (days) => scoresOver(db, cache, projectId, model, days, asOf, of, (ready ??= pointsReady(db, projectId, model))),
    new Map<string, number>(),
    // With the days before kept, only the last day's changes and newcomers (who were seen before
    // is in the table already: an earlier first day would have changed an earlier day).
    async (before, last, kept) =>
      kept
        ? updatedScoreTable(kept.figure, before, kept.last, last, (await SCORED[of].seen(db, projectId, asOf, asOf)).map((row) => row.id))
        : toScoreTable((await SCORED[of].seen(db, projectId, asOf)).map((row) => row.id), sumOfDays([before, last])),
  );
}

/** Every user's score as of a day under a model, with everyone seen so far (cached until new events). */
export function userScoreTable(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<ScoreTable> {
  return scoreTable(db, cache, projectId, model, asOf, 'users');
}

/** Every account's score as of a day under a model, with every account seen so far. */
export function accountScoreTable(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<ScoreTable> {
  return scoreTable(db, cache, projectId, model, asOf, 'accounts');
}

/**
 * One user's score: per-feature breakdown read by key, percentile against the cached table.
 *
 * @example
 * await userScore(db, cache, projectId, model, 'u1', '2026-03-01')
 */
export async function userScore(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, userId: string, asOf: string) {
  const window = windowOf(asOf, model.windowDays);
  const [table, counts] = await Promise.all([
    userScoreTable(db, cache, projectId, model, asOf),
    sql<{ event: string; count: number }>`
      select c.event, sum(c.capped)::float8 as count from (${cappedDailyCounts(model, userRows(projectId, window, asOf, userId))}) c group by c.event`.execute(db),
  ]);
  // The score comes from this user's own rows (always current); only the percentile comes from
  // the project-wide table, which may lag new events by the cache's staleness bound.
  const { score, breakdown } = scoreBreakdown(counts.rows.map((row) => ({ event: row.event, label: featureLabel(model, row.event), weight: featureWeight(model, row.event), count: row.count })));
  const seen = table.byId.has(userId) || score > 0;
  return { userId, score, percentile: seen ? percentileAgainst(table.ascending, score, table.byId.get(userId)) : null, model: { version: model.version }, window, breakdown };
}

/** One account's score with its breakdown, active users in the window and top users. */
export async function accountScore(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, accountId: string, asOf: string) {
  const window = windowOf(asOf, model.windowDays);
  const rows = accountRows(projectId, window, asOf, accountId);
  const [table, counts, active] = await Promise.all([
    accountScoreTable(db, cache, projectId, model, asOf),
    sql<{ user_id: string; event: string; count: number }>`
      select c.user_id, c.event, sum(c.capped)::float8 as count from (${cappedDailyCounts(model, rows)}) c group by c.user_id, c.event`.execute(db),
    sql<{ users: number }>`select count(distinct r.user_id)::int as users from (${rows}) r where ${isActivity('r')}`.execute(db),
  ]);
  const perEvent = new Map<string, number>();
  const perUser = new Map<string, number>();
  for (const row of counts.rows) {
    perEvent.set(row.event, (perEvent.get(row.event) ?? 0) + row.count);
    perUser.set(row.user_id, (perUser.get(row.user_id) ?? 0) + featureWeight(model, row.event) * row.count);
  }
  const { score, breakdown } = scoreBreakdown([...perEvent].map(([event, count]) => ({ event, label: featureLabel(model, event), weight: featureWeight(model, event), count })));
  const seen = table.byId.has(accountId) || score > 0;
  const activeUsers = active.rows[0]?.users ?? 0;
  const topUsers = [...perUser]
    .map(([userId, userScore]) => ({ userId, score: userScore }))
    .sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1))
    .slice(0, 5);
  return {
    accountId,
    score,
    percentile: seen ? percentileAgainst(table.ascending, score, table.byId.get(accountId)) : null,
    model: { version: model.version },
    window,
    breakdown,
    activeUsers,
    perActiveUser: activeUsers === 0 ? 0 : score / activeUsers,
    topUsers,
  };
}
