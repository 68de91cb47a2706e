import { sql, type RawBuilder } from 'kysely';
import { nextPeriodStart, periodStart, type CohortPeriod } from '../domain/retention-cohorts.ts';

// Retention cohorts' counts in SQL (docs/api.md, "Retention cohorts"; the domain form is
// domain/retention-cohorts.ts `cohortCounts`): counted where the active days are, so only one row
// per cohort and period leaves the database, never each user's days.

/** Every period start from the one holding `from` to `to` (domain `periodStart`, `nextPeriodStart`). */
function periodStarts(by: CohortPeriod, range: { from: string; to: string }): string[] {
  const starts: string[] = [];
  for (let start = periodStart(range.from, by); start <= range.to; start = nextPeriodStart(start, by)) starts.push(start);
  return starts;
}

/** Periods a user's mask of active periods can hold (bits of a bigint). */
export const MAX_COHORT_PERIODS = 62;

/**
 * Rows `(cohort, period, users)` (domain `CohortCount`: `period` null for a cohort's size) of the
 * users first seen in from … to, a user's first-seen day the least of their `firstSeen` rows
 * (columns `user_id`, `first_day`), with their days of `activeDays` (columns `user_id`, `day`;
 * repeats allowed) in from … to. Each day's period is its bucket among the period starts; a
 * user's active periods are one bigint mask made in the same pass over the rows as their
 * first-seen day, so the days are read once, grouped by user once, and never sorted or joined.
 */
export function cohortCounts(by: CohortPeriod, range: { from: string; to: string }, firstSeen: RawBuilder<unknown>, activeDays: RawBuilder<unknown>): RawBuilder<unknown> {
  const starts = periodStarts(by, range);
  if (starts.length > MAX_COHORT_PERIODS) throw new Error(`retention cohorts: ${starts.length} periods, at most ${MAX_COHORT_PERIODS}`);
  const bounds = sql`${starts}::date[]`;
  return sql`
    with u as (
      select x.user_id, min(x.day) filter (where x.first) as first_day,
        coalesce(bit_or(1::bigint << (width_bucket(x.day, ${bounds}) - 1)) filter (where not x.first), 0) as mask
      from (
        select f.user_id, f.first_day as day, true as first from (${firstSeen}) f
        union all
        select a.user_id, a.day, false from (${activeDays}) a where a.day between ${range.from}::date and ${range.to}::date
      ) x group by x.user_id
    ),
    c as (select width_bucket(u.first_day, ${bounds}) as cohort, u.mask from u where u.first_day between ${range.from}::date and ${range.to}::date),
    b as (select s.n::text as start, s.i::int as i from unnest(${bounds}) with ordinality as s(n, i)),
    n as (
      select c.cohort, null::int as period, count(*)::int as users from c group by c.cohort
      union all
      select c.cohort, p.i, count(*)::int from c join b p on p.i >= c.cohort and c.mask & (1::bigint << (p.i - 1)) <> 0 group by c.cohort, p.i
    )
    select bc.start as cohort, bp.start as period, n.users from n join b bc on bc.i = n.cohort left join b bp on bp.i = n.period`;
}
