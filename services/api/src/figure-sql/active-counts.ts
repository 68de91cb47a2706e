import { sql, type RawBuilder } from 'kysely';

// DAU / WAU / MAU in SQL (docs/api.md, Definitions; the domain form is domain/active-series.ts):
// a user active on day a, whose previous active day was p, adds max(a, p + N) … a + N − 1 to the
// N-day window's count, so the counts need no distinct, only one pass over the active user-days.

/**
 * The per-day changes of the counts made by active user-days `rows` (columns `sign`, `user_id`,
 * `day`): rows `(d date, dau, wau, mau)`, one per day where a count changes. `sign` 1 adds a
 * user's days, −1 takes them away (a correction: the same user's days as of another day).
 */
export function activeDeltas(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    with l as (select r.sign, r.user_id, r.day, lag(r.day) over (partition by r.sign, r.user_id order by r.day) as prev from (${rows}) r)
    select d, sum(dau)::int as dau, sum(wau)::int as wau, sum(mau)::int as mau from (
      select day as d, sign as dau, 0 as wau, 0 as mau from l
      union all select day + 1, -sign, 0, 0 from l
      union all select greatest(day, prev + 7), 0, sign, 0 from l
      union all select day + 7, 0, -sign, 0 from l
      union all select greatest(day, prev + 30), 0, 0, sign from l
      union all select day + 30, 0, 0, -sign from l
    ) x group by d`;
}

/**
 * The same changes as the amount each day's counts move: rows `(day date, dau, wau, mau)` for
 * every day where one of them is not 0 (the running sum of `activeDeltas`).
 */
export function activeCountChanges(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select g::date as day, y.dau, y.wau, y.mau from (
      select d, (sum(dau) over w)::int as dau, (sum(wau) over w)::int as wau, (sum(mau) over w)::int as mau, lead(d) over w as next
      from (${activeDeltas(rows)}) x window w as (order by d)
    ) y -- Timestamps without a zone: the days never move with the session's time zone.
    cross join generate_series(y.d::timestamp, (y.next - 1)::timestamp, interval '1 day') g
    where y.dau <> 0 or y.wau <> 0 or y.mau <> 0`;
}
