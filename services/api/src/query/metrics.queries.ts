import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { activeSeries, activeSeriesOfDays, type ActiveDelta } from '../domain/active-series.ts';
import { addDays, daysBetween, windowOf } from '../domain/days.ts';
import { utilisationChange, utilisationOf } from '../domain/utilisation.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
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

/**
 * DAU / WAU / MAU / stickiness per day for the project or one account. The project's series is
 * assembled from each day's active users (kept per day, so new events recompute only their
 * days); an account's from one pass over its active user-days (see `ActiveDelta`).
 *
 * @example
 * await activeMetrics(db, cache, projectId, { from: '2026-01-01', to: '2026-01-31' })
 */
export function activeMetrics(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  range: { from: string; to: string; accountId?: string | undefined; asOf?: string | undefined },
) {
  // Identity links and memberships as the project stood at the end of `asOf` (default `to`).
  const asOf = range.asOf ?? range.to;
  const first = addDays(range.from, -29);
  return cache.get(projectId, `active:${range.from}:${range.to}:${asOf}:${range.accountId ?? ''}`, async () => {
    if (range.accountId === undefined) {
      const days = await activeUsersOfDays(db, cache, projectId, daysBetween(first, range.to), asOf);
      return { days: activeSeriesOfDays(inOneNumbering(days).numbers, first, range.from, range.to) };
    }
    const deltas = await sql<ActiveDelta>`
      with ud as (select distinct r.user_id, r.day from (${accountRows(projectId, { from: first, to: range.to }, asOf, range.accountId)}) r where ${isActivity('r')}),
      l as (select user_id, day, lag(day) over (partition by user_id order by day) as prev from ud)
      select d::text as day, sum(dau)::int as dau, sum(wau)::int as wau, sum(mau)::int as mau from (
        select day as d, 1 as dau, 0 as wau, 0 as mau from l
        union all select day + 1, -1, 0, 0 from l
        union all select greatest(day, prev + 7), 0, 1, 0 from l
        union all select day + 7, 0, -1, 0 from l
        union all select greatest(day, prev + 30), 0, 0, 1 from l
        union all select day + 30, 0, 0, -1 from l
      ) x group by d`.execute(db);
    return { days: activeSeries(deltas.rows, range.from, range.to) };
  });
}

async function activeUsersIn(db: Kysely<Database>, projectId: string, accountId: string, asOf: string): Promise<number> {
  const result = await sql<{ users: number }>`
    select count(distinct r.user_id)::int as users from (${accountRows(projectId, windowOf(asOf, 30), asOf, accountId)}) r where ${isActivity('r')}`.execute(db);
  return result.rows[0]?.users ?? 0;
}

/** Seats of the account as of the end of a day (figure-sql/figures.ts `seatsAsOf`). */
async function seatsOfAccount(db: Kysely<Database>, projectId: string, accountId: string, asOf: string): Promise<number | null> {
  const result = await sql<{ seats: number | null }>`${seatsAsOf(projectId, asOf, accountId)}`.execute(db);
  return result.rows[0]?.seats ?? null;
}

/**
 * Licence utilisation of an account: active users in the last 30 days ÷ seats, now and 30 days
 * earlier, and the relative change.
 */
export async function accountUtilisation(db: Kysely<Database>, projectId: string, accountId: string, asOf: string) {
  const earlier = addDays(asOf, -30);
  const [seats, seatsBefore, now, before] = await Promise.all([
    seatsOfAccount(db, projectId, accountId, asOf),
    seatsOfAccount(db, projectId, accountId, earlier),
    activeUsersIn(db, projectId, accountId, asOf),
    activeUsersIn(db, projectId, accountId, earlier),
  ]);
  const utilisation = utilisationOf(now, seats);
  const utilisation30dAgo = utilisationOf(before, seatsBefore);
  return { accountId, asOf, seats, activeUsers30d: now, utilisation, utilisation30dAgo, change: utilisationChange(utilisation, utilisation30dAgo) };
}
