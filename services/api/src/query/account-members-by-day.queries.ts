import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { MemberRow } from '../domain/segments/fold-history.ts';
import { accountRows, isActivity } from '../figure-sql/activity-rows.ts';
import { attributionDays, attributionGroups } from './attribution-day.queries.ts';

/** The first day the member rows reach back to. */
const EVER = '1970-01-01';

/**
 * The members of one account (domain/segments/fold-history.ts `MemberRow`) on each of `days`: per
 * member as of the day, the first day of any of its rows in the account and the last day of
 * activity by then. One read of the account's days per group of days with the same attribution
 * (query/attribution-day.queries.ts), each user-day with whether it holds activity, folded
 * forward over the group's days.
 *
 * @example
 * (await accountMemberRowsByDay(db, projectId, 'acme', ['2026-03-31'])).get('2026-03-31') // [{ accountId: 'acme', userId: 'u1', firstDay: '2026-01-04', lastActive: '2026-03-30' }]
 */
export async function accountMemberRowsByDay(db: Kysely<Database>, projectId: string, accountId: string, days: readonly string[]): Promise<Map<string, MemberRow[]>> {
  if (days.length === 0) return new Map();
  const sorted = [...new Set(days)].sort();
  const attribution = await attributionDays(db, projectId, sorted);
  const answer = new Map<string, MemberRow[]>();
  for (const { asOf, days: groupDays } of attributionGroups(attribution, sorted, 1)) {
    const result = await sql<{ user_id: string; day: string; active: boolean }>`
      select r.user_id, r.day::text as day, bool_or(${isActivity('r')}) as active
      from (${accountRows(projectId, { from: EVER, to: groupDays.at(-1)! }, asOf, accountId)}) r
      group by r.user_id, r.day order by 2`.execute(db);
    const members = new Map<string, MemberRow>();
    let next = 0;
    for (const day of groupDays) {
      for (; next < result.rows.length && result.rows[next]!.day <= day; next++) {
        const row = result.rows[next]!;
        const member = members.get(row.user_id) ?? { accountId, userId: row.user_id, firstDay: row.day, lastActive: null };
        if (row.active) member.lastActive = row.day;
        members.set(row.user_id, member);
      }
      answer.set(day, [...members.values()].map((member) => ({ ...member })));
    }
  }
  return answer;
}
