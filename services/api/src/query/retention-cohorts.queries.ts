import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { daysBetween } from '../domain/days.ts';
import { retentionCohorts, type CohortPeriod, type RetentionCohort } from '../domain/retention-cohorts.ts';
import { accountRows, isActivity } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { membershipHistory } from './groups.queries.ts';
import { inOneNumbering } from './id-numbers.ts';
import { activeUsersOfDays } from './metrics.queries.ts';

/** Each user's active days in from … to, as of `to`: the project's (per-day parts shared with the DAU series), or in one account's events. */
async function activeDaysOf(db: Kysely<Database>, cache: FigureCache, projectId: string, range: { from: string; to: string; accountId?: string | undefined }): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>();
  const add = (userId: string, day: string) => {
    const days = byUser.get(userId);
    if (days) days.push(day);
    else byUser.set(userId, [day]);
  };
  if (range.accountId === undefined) {
    const days = daysBetween(range.from, range.to);
    const { ids, numbers } = inOneNumbering(await activeUsersOfDays(db, cache, projectId, days, range.to));
    numbers.forEach((users, index) => {
      for (const number of users) add(ids[number]!, days[index]!);
    });
    return byUser;
  }
  const result = await sql<{ user_id: string; day: string }>`
    select distinct r.user_id, r.day::text as day from (${accountRows(projectId, range, range.to, range.accountId)}) r where ${isActivity('r')}`.execute(db);
  for (const row of result.rows) add(row.user_id, row.day);
  return byUser;
}

/**
 * Retention cohorts (domain/retention-cohorts.ts `retentionCohorts`) as of `to`: the users first
 * seen in from … to (first seen in the project, from the whole history the segment facts fold too; with `accountId`,
 * only the account's users, and only activity in the account's events counts). Cached until the
 * project stores new events.
 *
 * @example
 * await retention(db, cache, projectId, { by: 'week', from: '2026-01-05', to: '2026-03-29' })
 */
export function retention(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  range: { by: CohortPeriod; from: string; to: string; accountId?: string | undefined },
): Promise<RetentionCohort[]> {
  const { by, from, to, accountId } = range;
  return cache.get(projectId, `retention:${JSON.stringify([by, from, to, accountId ?? null])}`, async () => {
    const [history, activeDays] = await Promise.all([membershipHistory(db, projectId, to), activeDaysOf(db, cache, projectId, range)]);
    // An account nobody had joined by then has no users, not everyone.
    const members = accountId === undefined ? undefined : (history.members.get(accountId) ?? new Map<string, unknown>());
    const firstSeen = new Map<string, string>();
    for (const [userId, user] of history.users) if (members === undefined || members.has(userId)) firstSeen.set(userId, user.firstSeen);
    return retentionCohorts({ by, from, to, firstSeen, activeDays });
  });
}
