import { sql, type RawBuilder } from 'kysely';

// An account's activity in SQL (docs/api.md, Segments; the domain form is
// domain/segments/account-activity.ts `accountActivityOf` and `activeUsersPerAccount`), so a window's
// kept pairs are added up where they are instead of sent over the wire one by one.

/**
 * Per account among the distinct active pairs `pairs` (columns account_id, user_id, day): the
 * active user-days in the `period` days to `asOf` (`recent`) and in the `period` days before
 * (`earlier`), the 7-day blocks back from `asOf` with activity among the first `weeks` (`weeks`,
 * bit n set for block n: at most 26 blocks), and the distinct users active in `window`
 * (`active_users`; with `activeIds`, those users' ids instead: `active_ids`). Days after `asOf`
 * count in none. Per member first, then per account: two hash aggregates, no sort of the pairs.
 */
export function accountActivityCounts(pairs: RawBuilder<unknown>, asOf: string, { period, weeks }: { period: number; weeks: number }, window: { from: string; to: string }, activeIds = false): RawBuilder<unknown> {
  const active = activeIds ? sql`coalesce(array_agg(user_id) filter (where active), '{}') as active_ids` : sql`(count(*) filter (where active))::int as active_users`;
  return sql`
    select account_id, sum(recent)::int as recent, sum(earlier)::int as earlier, bit_or(weeks)::int as weeks, ${active}
    from (
      select account_id, user_id,
        count(*) filter (where back >= 0 and back < ${period}::int) as recent,
        count(*) filter (where back >= ${period}::int and back < 2 * ${period}::int) as earlier,
        coalesce(bit_or(1 << (back / 7)) filter (where back >= 0 and back < 7 * ${weeks}::int), 0) as weeks,
        bool_or(day between ${window.from}::date and ${window.to}::date) as active
      from (select p.account_id, p.user_id, p.day, ${asOf}::date - p.day as back from (${pairs}) p) x
      group by account_id, user_id
    ) m group by account_id`;
}

/** The blocks of a `weeks` mask of `accountActivityCounts`. */
export function weeksOfMask(mask: number): Set<number> {
  const blocks = new Set<number>();
  for (let block = 0; mask >> block !== 0; block++) if ((mask >> block) & 1) blocks.add(block);
  return blocks;
}
