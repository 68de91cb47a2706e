import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays, daysBetween } from '../domain/days.ts';
import { cohortsOfCounts, periodStart, retentionCohorts, type CohortCount, type CohortPeriod, type RetentionCohort } from '../domain/retention-cohorts.ts';
import { accountRows, isActivity } from '../figure-sql/activity-rows.ts';
import { cohortCounts } from '../figure-sql/retention-cohorts.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountMembersAsOf } from './activity-history.queries.ts';
import { inOneNumbering } from './id-numbers.ts';
import { activeDaysKept, activeUsersOfDays, keptActiveDays } from './metrics.queries.ts';

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
 * Rows `(user_id, first_day)` whose least per user is their first-seen day as of the end of
 * `asOf`: the first day of their own events (user_first_seen) and of each anonymousId linked to
 * them by then (its event_spans), as the whole history the segment facts fold says (`activityHistory`).
 */
function firstSeenRows(projectId: string, asOf: string) {
  return sql`
    select user_id, first_day from user_first_seen where project_id = ${projectId}
    union all
    select l.user_id, s.first_day from identity_links l
    join event_spans s on s.project_id = l.project_id and s.anonymous and s.subject_id = l.anonymous_id
    where l.project_id = ${projectId} and l.link_day <= ${asOf}::date`;
}

/**
 * Rows of `cohortCounts` from the kept active days (derived/active-days.ts: links as they are
 * now, the days folded so far) in `days`, corrected for the users whose kept days may differ from
 * their rows as of `asOf` (`usersKeptDiffer`): their kept days left out, their days as of `asOf`
 * read instead. With `recentFrom`, only the first-seen rows of the users active in `days` or
 * first seen on or after that day (the last period's counts need no one else's).
 */
async function keptCohortCounts(db: Kysely<Database>, projectId: string, by: CohortPeriod, range: { from: string; to: string }, days: { from: string; to: string }, asOf: string, recentFrom?: string): Promise<CohortCount[]> {
  const activeDays = await keptActiveDays(db, projectId, days, asOf);
  const firstSeen =
    recentFrom === undefined
      ? firstSeenRows(projectId, asOf)
      : sql`select f.* from (${firstSeenRows(projectId, asOf)}) f where f.user_id in (
          select a.user_id from (${activeDays}) a
          union
          select g.user_id from (${firstSeenRows(projectId, asOf)}) g where g.first_day >= ${recentFrom}::date)`;
  return (await sql<CohortCount>`${cohortCounts(by, range, firstSeen, activeDays)}`.execute(db)).rows;
}

/**
 * The project's cohorts from the kept active days, in two parts: the periods before the one
 * holding `to` (every cohort's size and activity then), kept as a figure of the day before that
 * period, which events of its days leave as they were; and the period holding `to`, counted on
 * each computation from its days alone (who was active in it, with their first-seen days, and
 * who was first seen in it). An event of today, or of another day of this week or month, so
 * reads that period's days, not the whole range again. Both parts are exact as of `to`: a day of
 * the last period can make nobody first seen earlier (an earlier first day would be a change of
 * that day), and a link or a deletion, which can, names every day.
 */
async function keptRetention(db: Kysely<Database>, cache: FigureCache, projectId: string, range: { by: CohortPeriod; from: string; to: string }): Promise<RetentionCohort[]> {
  const { by, from, to } = range;
  const last = periodStart(to, by);
  if (last <= from) return cohortsOfCounts(by, from, to, await keptCohortCounts(db, projectId, by, range, range, to));
  const dayBefore = addDays(last, -1);
  const [before, current] = await Promise.all([
    cache.get(projectId, `retention-kept-before:${JSON.stringify([by, from, to])}`, () => keptCohortCounts(db, projectId, by, { from, to: dayBefore }, { from, to: dayBefore }, to), dayBefore),
    keptCohortCounts(db, projectId, by, range, { from: last, to }, to, last),
  ]);
  // Of the last period's counts, only those its days decide: every cohort's activity in it, and its own cohort's size.
  return cohortsOfCounts(by, from, to, [...before, ...current.filter((row) => row.period === last || (row.period === null && row.cohort === last))]);
}

/** Days of a range given no `from`: 12 weeks, or about 6 months, to its last day. */
export const RETENTION_DEFAULT_DAYS = { week: 84, month: 183 } as const;

/**
 * Retention cohorts (domain/retention-cohorts.ts `retentionCohorts`) as of `to`: the users first
 * seen in from … to (first seen in the project, as the whole history the segment facts fold says; with `accountId`,
 * only the account's users, and only activity in the account's events counts). The project's
 * are read from the kept active days once they are filled; else, and an account's, computed
 * from the per-day counts. Cached until the project stores new events. First-seen days come from user_first_seen and the linked anonymousIds' spans, an
 * account's members from its own spans (`accountMembersAsOf`): never the whole history.
 *
 * @example
 * await retention(db, cache, projectId, { by: 'week', from: '2026-01-05', to: '2026-03-29' })
 */
export async function retention(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  range: { by: CohortPeriod; from: string; to: string; accountId?: string | undefined },
): Promise<RetentionCohort[]> {
  const { by, from, to, accountId } = range;
  // Cached too (a warm answer is read from memory, a list's p95 bound): the kept path makes the
  // first call after a restart and each recomputation after new events cheap.
  if (accountId === undefined && (await activeDaysKept(db, projectId))) return cache.get(projectId, `retention-kept:${JSON.stringify([by, from, to])}`, () => keptRetention(db, cache, projectId, { by, from, to }), to);
  return cache.get(projectId, `retention:${JSON.stringify([by, from, to, accountId ?? null])}`, async () => {
    const firstSeenOf = async () => {
      // An account nobody had joined by then has no users, not everyone.
      const members = accountId === undefined ? undefined : await accountMembersAsOf(db, projectId, accountId, to);
      return sql<{ user_id: string; first_day: string }>`
        select f.user_id, min(f.first_day)::text as first_day from (${firstSeenRows(projectId, to)}) f
        ${members === undefined ? sql`` : sql`where f.user_id = any(${members}::text[])`} group by f.user_id`.execute(db);
    };
    const [seen, activeDays] = await Promise.all([firstSeenOf(), activeDaysOf(db, cache, projectId, range)]);
    const firstSeen = new Map(seen.rows.map((row) => [row.user_id, row.first_day]));
    return retentionCohorts({ by, from, to, firstSeen, activeDays });
  }, to);
}
