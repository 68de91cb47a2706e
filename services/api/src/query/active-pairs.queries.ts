import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { daysBetween } from '../domain/days.ts';
import type { ActivePairs } from '../domain/segments/account-activity.ts';
import { accountRows, endOfDay, isActivity } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { inOneNumbering, numberOf, type NumberedIds } from './id-numbers.ts';

/** One day's distinct (account, user) pairs with activity in the account: element i of each. */
type NumberedPairs = { accounts: NumberedIds; users: NumberedIds };

/**
 * Per day (in the order of `days`), the distinct (account, user) pairs with activity in the
 * account that day, with links and joins as of `asOf`, as numbers. Kept per day, so new events
 * recompute only the days they fell on.
 */
function pairsByDay(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, days: string[]): Promise<NumberedPairs[]> {
  return cache.days(projectId, `segment-active-pairs:${asOf}`, days, async (day): Promise<NumberedPairs> => {
    const result = await sql<{ account_id: string; user_id: string }>`
      select distinct r.account_id, r.user_id from (${accountRows(projectId, { from: day, to: day }, asOf)}) r where ${isActivity('r')}`.execute(db);
    const accounts = cache.numbering(projectId, 'accounts');
    const users = cache.numbering(projectId, 'users');
    return {
      accounts: { numbering: accounts, numbers: Int32Array.from(result.rows, (row) => numberOf(accounts, row.account_id)) },
      users: { numbering: users, numbers: Int32Array.from(result.rows, (row) => numberOf(users, row.user_id)) },
    };
  });
}

/**
 * The distinct (account, user) pairs with activity in the account on each day of `window`, with
 * identity links and memberships as of the end of `asOf` (cached per day).
 *
 * @example
 * const pairs = await activePairs(db, cache, projectId, { window: windowOf('2026-03-31', 30), asOf: '2026-03-31' });
 * activeUsersPerAccount(pairs, windowOf('2026-03-31', 30)); // domain/segments/account-activity.ts
 */
export async function activePairs(db: Kysely<Database>, cache: FigureCache, projectId: string, { window, asOf }: { window: { from: string; to: string }; asOf: string }): Promise<ActivePairs> {
  const days = daysBetween(window.from, window.to);
  const parts = await pairsByDay(db, cache, projectId, asOf, days);
  const accounts = inOneNumbering(parts.map((part) => part.accounts));
  const users = inOneNumbering(parts.map((part) => part.users));
  return { accountIds: accounts.ids, userIds: users.ids, days: days.map((day, index) => ({ day, accounts: accounts.numbers[index]!, users: users.numbers[index]! })) };
}

/**
 * Whether events up to `earlier` belong to the same users and accounts as of `earlier` as as of
 * `later`: no identity link or membership starts in between. Then figures as of `earlier` can
 * reuse the day parts kept as of `later`.
 */
export async function sameAttribution(db: Kysely<Database>, projectId: string, earlier: string, later: string): Promise<boolean> {
  const result = await sql<{ changed: boolean }>`
    select exists (select 1 from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(earlier)} and joined_at < ${endOfDay(later)})
        or exists (select 1 from identity_links where project_id = ${projectId} and link_day > ${earlier}::date and link_day <= ${later}::date) as changed`.execute(db);
  return result.rows[0]?.changed === false;
}
