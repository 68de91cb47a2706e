import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { activeSeries, activeSeriesOfDays, type ActiveDelta } from '../domain/active-series.ts';
import { addDays, daysBetween, laterOf, windowOf } from '../domain/days.ts';
import { utilisationChange, utilisationOf } from '../domain/utilisation.ts';
import { activeDeltas } from '../figure-sql/active-counts.ts';
import { accountRows, isActivity, userRows, usersKeptDiffer } from '../figure-sql/activity-rows.ts';
import { attributionDays, attributionGroups } from './attribution-day.queries.ts';
import type { FigureCache } from './figure-cache.ts';
import { seatsAsOf } from '../figure-sql/figures.ts';
import { inOneNumbering, numberOf, type NumberedIds } from './id-numbers.ts';

/**
 * Each day's distinct active users of the project (in the order of `days`), with identity links as
 * of the end of `asOf`, as numbers; kept per day in the figure cache, so new events recompute only
 * the days they fell on (the DAU series and the retention cohorts share these parts).
 */
export function activeUsersOfDays(db: Kysely<Database>, cache: FigureCache, projectId: string, days: string[], asOf: string): Promise<NumberedIds[]> {
  return cache.days(projectId, `active-users:${asOf}`, days, async (day): Promise<NumberedIds> => {
    const active = await sql<{ user_id: string }>`
      select distinct r.user_id from (${userRows(projectId, { from: day, to: day }, asOf)}) r where ${isActivity('r')}`.execute(db);
    const users = cache.numbering(projectId, 'users');
    return { numbering: users, numbers: Int32Array.from(active.rows, (row) => numberOf(users, row.user_id)) };
  });
}

/** Whether a project's kept activity is complete (derived/active-days.ts); else its series comes from the per-day counts. */
export async function activeDaysKept(db: Kysely<Database>, projectId: string): Promise<boolean> {
  return (await db.selectFrom('active_day_projects').select('project_id').where('project_id', '=', projectId).executeTakeFirst()) !== undefined;
}

/**
 * Rows `(user_id, day)`: each user's active days in `window` as of `asOf`, from the kept active
 * days (for a project whose are filled, `activeDaysKept`). The ids whose kept days may differ as
 * of `asOf` (`usersKeptDiffer`) are read first and their days taken from the per-day counts
 * instead: a fold commits its active days and takes its days off the queue at once, so days read
 * later are at least as current as every id not recomputed. As an array, the kept days' scan can
 * run in parallel.
 */
export async function keptActiveDays(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<RawBuilder<unknown>> {
  const changed = (await sql<{ user_id: string }>`${usersKeptDiffer(projectId, asOf)}`.execute(db)).rows.map((row) => row.user_id);
  return sql`
    select a.user_id, a.day from user_active_days a
    where a.project_id = ${projectId} and a.day between ${window.from}::date and ${window.to}::date and a.user_id <> all(${changed}::text[])
    union all
    select r.user_id, r.day from (${userRows(projectId, window, asOf, changed)}) r where ${isActivity('r')}`;
}

/**
 * The project's series from the kept daily counts (links as they are now, the days folded so
 * far), corrected in the same statement (one snapshot) for the few users whose kept days may
 * differ from their rows as of `asOf` (`usersKeptDiffer`): their kept days taken out, their
 * days as of `asOf` put in.
 */
async function keptActiveSeries(db: Kysely<Database>, projectId: string, range: { from: string; to: string }, asOf: string) {
  const first = addDays(range.from, -29);
  const corrections = sql`
    select -1 as sign, a.user_id, a.day from user_active_days a
    where a.project_id = ${projectId} and a.user_id in (select user_id from changed) and a.day between ${first}::date and ${range.to}::date
    union all
    select distinct 1, r.user_id, r.day from (${userRows(projectId, { from: first, to: range.to }, asOf, sql`select user_id from changed`)}) r where ${isActivity('r')}`;
  // The kept counts as deltas too (on at their day, off the day after), so one running sum adds all.
  const deltas = await sql<ActiveDelta>`
    with changed as (${usersKeptDiffer(projectId, asOf)}),
    kept as (select day, dau, wau, mau from daily_active_users where project_id = ${projectId} and day between ${range.from}::date and ${range.to}::date)
    select d::text as day, dau, wau, mau from (${activeDeltas(corrections)}) x
    union all select day::text, dau, wau, mau from kept
    union all select (day + 1)::text, -dau, -wau, -mau from kept`.execute(db);
  return activeSeries(deltas.rows, range.from, range.to);
}

/**
 * DAU / WAU / MAU / stickiness per day for the project or one account. The project's series is
 * read from the kept daily counts once they are filled (not cached: exact at every call), else
 * assembled from each day's active users (kept per day in the figure cache, so new events
 * recompute only their days); an account's from one pass over its active user-days.
 *
 * @example
 * await activeMetrics(db, cache, projectId, { from: '2026-01-01', to: '2026-01-31' })
 */
export async function activeMetrics(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  range: { from: string; to: string; accountId?: string | undefined; asOf?: string | undefined },
) {
  // Identity links and memberships as the project stood at the end of `asOf` (default `to`).
  const asOf = range.asOf ?? range.to;
  const first = addDays(range.from, -29);
  if (range.accountId === undefined && (await activeDaysKept(db, projectId))) return { days: await keptActiveSeries(db, projectId, range, asOf) };
  return cache.get(projectId, `active:${range.from}:${range.to}:${asOf}:${range.accountId ?? ''}`, async () => {
    if (range.accountId === undefined) {
      const days = await activeUsersOfDays(db, cache, projectId, daysBetween(first, range.to), asOf);
      return { days: activeSeriesOfDays(inOneNumbering(days).numbers, first, range.from, range.to) };
    }
    const deltas = await sql<ActiveDelta>`
      select d::text as day, dau, wau, mau from (${activeDeltas(sql`
        select distinct 1 as sign, r.user_id, r.day from (${accountRows(projectId, { from: first, to: range.to }, asOf, range.accountId)}) r where ${isActivity('r')}`)}) x`.execute(db);
    return { days: activeSeries(deltas.rows, range.from, range.to) };
  }, laterOf(range.to, asOf));
}

/**
 * Licence utilisation of an account: active users in the last 30 days ÷ seats, now and 30 days
 * earlier, and the relative change.
 */
export async function accountUtilisation(db: Kysely<Database>, projectId: string, accountId: string, asOf: string) {
  // Both days in one call: one read of the seats and one of the rows for the two (with the same attribution), not two of each.
  const then = addDays(asOf, -30);
  const byDay = await utilisationByDay(db, projectId, accountId, [asOf, then]);
  const [now, before] = [byDay.get(asOf)!, byDay.get(then)!];
  return { accountId, asOf, seats: now.seats, activeUsers30d: now.activeUsers30d, utilisation: now.utilisation, utilisation30dAgo: before.utilisation, change: utilisationChange(now.utilisation, before.utilisation) };
}

/** The days of the utilisation window: licence utilisation counts the users active in the last 30 days. */
const UTILISATION_DAYS = 30;

/**
 * Licence utilisation of an account on each of `days`: seats, active users in the last 30 days,
 * their ratio (domain/utilisation.ts). The seats of each day from one read (figure-sql/figures.ts
 * `seatsAsOf` of each day, joined laterally), the users active in each day's
 * 30 days from one read of the account's rows per group of days with the same attribution
 * (query/attribution-day.queries.ts), as of the group's day.
 */
export async function utilisationByDay(db: Kysely<Database>, projectId: string, accountId: string, days: readonly string[]): Promise<Map<string, { seats: number | null; activeUsers30d: number; utilisation: number | null }>> {
  if (days.length === 0) return new Map();
  const sorted = [...new Set(days)].sort();
  const [seats, attribution] = await Promise.all([
    sql<{ day: string; seats: number | null }>`
      select d.day::text as day, s.seats from unnest(${sorted}::date[]) as d(day)
      left join lateral (${seatsAsOf(projectId, sql`d.day`, accountId)}) s on true`.execute(db),
    attributionDays(db, projectId, sorted),
  ]);
  const seatsOf = new Map(seats.rows.map((row) => [row.day, row.seats]));
  const answer = new Map<string, { seats: number | null; activeUsers30d: number; utilisation: number | null }>();
  for (const { asOf, days: groupDays, span } of attributionGroups(attribution, sorted, UTILISATION_DAYS)) {
    const active = await sql<{ user_id: string; day: string }>`
      select distinct r.user_id, r.day::text as day from (${accountRows(projectId, span, asOf, accountId)}) r where ${isActivity('r')}`.execute(db);
    for (const day of groupDays) {
      const { from } = windowOf(day, UTILISATION_DAYS);
      const users = new Set(active.rows.filter((row) => row.day >= from && row.day <= day).map((row) => row.user_id));
      const daySeats = seatsOf.get(day) ?? null;
      answer.set(day, { seats: daySeats, activeUsers30d: users.size, utilisation: utilisationOf(users.size, daySeats) });
    }
  }
  return answer;
}
