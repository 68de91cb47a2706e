import { sql, type RawBuilder } from 'kysely';

// An account's activity in SQL (docs/api.md, Segments; the domain form is
// domain/segments/account-activity.ts `accountActivityOf` and `activeUsersPerAccount`), so a window's
// kept pairs are added up where they are instead of sent over the wire one by one.

/**
 * Per account among the distinct active pairs `pairs` (columns account_id, user_id, day): the
 * active user-days in the `period` days to `asOf` (`recent`) and in the `period` days before
 * (`earlier`), the 7-day blocks back from `asOf` with activity among the first `weeks` (`weeks`),
 * and the distinct users active in `window` (`active_users`). Days after `asOf` count in none.
 */
export function accountActivityCounts(pairs: RawBuilder<unknown>, asOf: string, { period, weeks }: { period: number; weeks: number }, window: { from: string; to: string }): RawBuilder<unknown> {
  return sql`
    select account_id,
      (count(*) filter (where back >= 0 and back < ${period}::int))::int as recent,
      (count(*) filter (where back >= ${period}::int and back < 2 * ${period}::int))::int as earlier,
      coalesce(array_agg(distinct back / 7) filter (where back >= 0 and back < 7 * ${weeks}::int), '{}')::int[] as weeks,
      (count(distinct user_id) filter (where day between ${window.from}::date and ${window.to}::date))::int as active_users
    from (select p.account_id, p.user_id, p.day, ${asOf}::date - p.day as back from (${pairs}) p) x
    group by account_id`;
}
