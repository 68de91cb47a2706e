import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { groupFigures, type GroupFigures } from '../domain/groups.ts';
import { featureLabel, featureWeight } from '../domain/score.ts';
import { accountMembersAsOf } from './activity-history.queries.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { activeDaysKept, keptActiveDays } from './metrics.queries.ts';
import { userScoreTable } from './scores.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

/**
 * Users active in the window as of its last day: from the kept active days once filled
 * (`keptActiveDays`), else from the per-day counts.
 */
async function activeUsersOfWindow(db: Kysely<Database>, projectId: string, window: { from: string; to: string }): Promise<string[]> {
  const days = (await activeDaysKept(db, projectId)) ? await keptActiveDays(db, projectId, window, window.to) : sql`select r.user_id from (${userRows(projectId, window, window.to)}) r where ${isActivity('r')}`;
  const active = await sql<{ user_id: string }>`select distinct d.user_id from (${days}) d`.execute(db);
  return active.rows.map((row) => row.user_id);
}

/**
 * Scores by group (domain/groups.ts `groupFigures`) as of a day under a model: the users of one
 * account (everyone with an event belonging to it, as `GET /v1/accounts/:id/users` lists them) with
 * their points in the account's events, or every user seen with their own scores; grouped by the
 * user trait `trait` as of the day. Cached until the project stores new events.
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
    const [memberIds, active, traits, counts] = await Promise.all([
      accountId === undefined
        ? userScoreTable(db, cache, projectId, model, asOf).then((table) => [...table.byId.keys()])
        : accountMembersAsOf(db, projectId, accountId, asOf),
      accountId === undefined
        ? activeUsersOfWindow(db, projectId, window)
        : sql<{ user_id: string }>`select distinct r.user_id from (${rows}) r where ${isActivity('r')}`.execute(db).then((result) => result.rows.map((row) => row.user_id)),
      traitsAsOf(db, projectId, 'users', [trait], asOf),
      // One row per feature with every user's count in two arrays: a row per user and feature
      // would cost more to send and read than to compute.
      sql<{ event: string; users: string[]; counts: number[] }>`
        select u.event, array_agg(u.user_id) as users, array_agg(u.count) as counts from (
          select c.user_id, c.event, sum(c.capped)::float8 as count from (${cappedDailyCounts(model, rows)}) c group by c.user_id, c.event
        ) u group by u.event`.execute(db),
    ]);
    const activeIds = new Set(active);
    const members = memberIds.map((userId) => ({ userId, trait: traits.get(userId)?.[trait], active: activeIds.has(userId) }));
    const points = counts.rows.flatMap((row) => {
      const label = featureLabel(model, row.event);
      const weight = featureWeight(model, row.event);
      return row.users.map((userId, index) => ({ userId, event: row.event, label, points: weight * Number(row.counts[index]) }));
    });
    return { window, groups: groupFigures(members, points) };
  });
}
