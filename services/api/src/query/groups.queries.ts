import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { rankGroups, type GroupFigures } from '../domain/groups.ts';
import { accountMembersAsOf } from './activity-history.queries.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { groupFeatureCounts, groupNumbers, groupTotalsOfCounts, groupUsers, numberedMembers, type GroupFeatureCountRow, type GroupUsersRow } from '../figure-sql/groups.ts';
import { activeDaysKept, keptActiveDays } from './metrics.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

/**
 * Rows `(user_id)` of the users active in the window as of its last day: from the kept active
 * days once filled (`keptActiveDays`), else from the per-day counts.
 */
async function activeInWindow(db: Kysely<Database>, projectId: string, window: { from: string; to: string }): Promise<RawBuilder<unknown>> {
  if (await activeDaysKept(db, projectId)) return sql`select d.user_id from (${await keptActiveDays(db, projectId, window, window.to)}) d`;
  return sql`select r.user_id from (${userRows(projectId, window, window.to)}) r where ${isActivity('r')}`;
}

/**
 * Each user's group as figure-sql/groups.ts reads them (columns `user_id`, `grp`): the users of
 * `numbered` and, project-wide, every other user seen by the day in the missing group (0).
 */
function membersOf(projectId: string, asOf: string, numbered: { ids: string[]; groups: number[] }, everyoneSeen: boolean): RawBuilder<unknown> {
  if (!everyoneSeen) return numberedMembers(numbered);
  return sql`
    select f.user_id, coalesce(k.grp, 0) as grp from user_first_seen f left join (${numberedMembers(numbered)}) k on k.user_id = f.user_id
    where f.project_id = ${projectId} and f.first_day <= ${asOf}::date`;
}

/**
 * Scores by group (domain/groups.ts `groupFigures`) as of a day under a model: the users of one
 * account (everyone with an event belonging to it, as `GET /v1/accounts/:id/users` lists them) with
 * their points in the account's events, or every user seen by the day with their own scores;
 * grouped by the user trait `trait` as of the day. Added up per group and feature in SQL
 * (figure-sql/groups.ts `groupUsers`, `groupFeatureCounts`): only the users' trait values and one row per group and
 * feature reach memory. Cached until the project stores new events.
 *
 * @example
 * await scoresByGroup(db, cache, projectId, model, { trait: 'role', asOf: '2026-03-31', accountId: 'acme' })
 */
export function scoresByGroup(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  request: { trait: string; asOf: string; accountId?: string | undefined },
): Promise<GroupsAnswer> {
  const { trait, asOf, accountId } = request;
  return cache.get(projectId, `groups:${JSON.stringify([accountId ?? null, trait, model.version, asOf])}`, async () => {
    const window = windowOf(asOf, model.windowDays);
    const rows = accountId === undefined ? userRows(projectId, window, asOf) : accountRows(projectId, window, asOf, accountId);
    const [traits, accountMembers, active] = await Promise.all([
      traitsAsOf(db, projectId, 'users', [trait], asOf),
      accountId === undefined ? undefined : accountMembersAsOf(db, projectId, accountId, asOf),
      accountId === undefined ? activeInWindow(db, projectId, window) : sql`select r.user_id from (${rows}) r where ${isActivity('r')}`,
    ]);
    // Project-wide only the users with the trait are sent; everyone else seen is in the missing group.
    const numbered = groupNumbers(accountMembers === undefined ? [...traits].map(([userId, values]) => [userId, values[trait]] as const) : accountMembers.map((userId) => [userId, traits.get(userId)?.[trait]] as const));
    const members = membersOf(projectId, asOf, numbered, accountMembers === undefined);
    const [users, counts] = await Promise.all([
      sql<GroupUsersRow>`${groupUsers(members, active)}`.execute(db),
      // Without parallel workers: their partial sums per user, day and feature hardly merge
      // anything, so gathering and summing them again took longer than one pass (measured 1.5–2×
      // slower on the bench databases of 1 M and 10 M events).
      db.transaction().execute(async (trx) => {
        await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
        return sql<GroupFeatureCountRow>`${groupFeatureCounts(model, members, rows)}`.execute(trx);
      }),
    ]);
    return { window, groups: rankGroups(groupTotalsOfCounts(model, numbered.values, users.rows, counts.rows)) };
  });
}
