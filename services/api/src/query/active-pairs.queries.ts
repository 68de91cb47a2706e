import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { daysBetween } from '../domain/days.ts';
import type { ActivePairs } from '../domain/segments/account-activity.ts';
import { accountRows, endOfDay, isActivity, membersKeptDiffer } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { inOneNumbering, numberOf, type NumberedIds } from './id-numbers.ts';
import { activeDaysKept } from './metrics.queries.ts';

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
 * The pairs from the kept account activity (derived/active-days.ts: links and memberships as they
 * are now, the days folded so far), corrected in the same statement (one snapshot) for the users
 * whose kept pairs may differ from their rows as of `asOf` (`membersKeptDiffer`): their kept pairs
 * left out, their pairs as of `asOf` read from the rows.
 */
async function keptActivePairs(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<ActivePairs> {
  const { rows } = await sql<{ day: string; account_id: string; user_id: string }>`
    with changed as (${membersKeptDiffer(projectId, asOf)})
    select day::text as day, account_id, user_id from account_active_days
    where project_id = ${projectId} and day between ${window.from}::date and ${window.to}::date and user_id not in (select user_id from changed)
    union all
    select distinct r.day::text, r.account_id, r.user_id from (${accountRows(projectId, window, asOf, undefined, sql`select user_id from changed`)}) r where ${isActivity('r')}`.execute(db);
  const accountIds: string[] = [];
  const userIds: string[] = [];
  const accountNumbers = new Map<string, number>();
  const userNumbers = new Map<string, number>();
  const numberIn = (numbers: Map<string, number>, ids: string[], id: string) => {
    let number = numbers.get(id);
    if (number === undefined) numbers.set(id, (number = ids.push(id) - 1));
    return number;
  };
  const byDay = new Map<string, { accounts: number[]; users: number[] }>(daysBetween(window.from, window.to).map((day) => [day, { accounts: [], users: [] }]));
  for (const row of rows) {
    const day = byDay.get(row.day)!;
    day.accounts.push(numberIn(accountNumbers, accountIds, row.account_id));
    day.users.push(numberIn(userNumbers, userIds, row.user_id));
  }
  return { accountIds, userIds, days: [...byDay].map(([day, pairs]) => ({ day, ...pairs })) };
}

/**
 * The distinct (account, user) pairs with activity in the account on each day of `window`, with
 * identity links and memberships as of the end of `asOf`: from the kept account activity once the
 * project's is filled, else from each day's rows (cached per day).
 *
 * @example
 * const pairs = await activePairs(db, cache, projectId, { window: windowOf('2026-03-31', 30), asOf: '2026-03-31' });
 * activeUsersPerAccount(pairs, windowOf('2026-03-31', 30)); // domain/segments/account-activity.ts
 */
export async function activePairs(db: Kysely<Database>, cache: FigureCache, projectId: string, { window, asOf }: { window: { from: string; to: string }; asOf: string }): Promise<ActivePairs> {
  if (await activeDaysKept(db, projectId)) return keptActivePairs(db, projectId, window, asOf);
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
