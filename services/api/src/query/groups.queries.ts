import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { groupFigures, groupKeyOf, type GroupFigures } from '../domain/groups.ts';
import { featureLabel, featureWeight } from '../domain/score.ts';
import { accountMembersAsOf } from './activity-history.queries.ts';
import { accountRows, isActivity, userRows, usersKeptDiffer } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { activeDaysKept } from './metrics.queries.ts';
import { userScoreTable } from './scores.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

/**
 * Users active in the window as of its last day, from the kept active days (derived/active-days.ts)
 * once filled: the ids whose kept days may differ as of that day (`usersKeptDiffer`) read first,
 * their days then read from the per-day counts instead (a fold commits its days and takes them
 * off the queue at once, so days read later are at least as current as every id not recomputed).
 * Else from the per-day counts.
 */
async function activeUsersOfWindow(db: Kysely<Database>, projectId: string, window: { from: string; to: string }): Promise<string[]> {
  const rows = userRows(projectId, window, window.to);
  if (!(await activeDaysKept(db, projectId))) {
    return (await sql<{ user_id: string }>`select distinct r.user_id from (${rows}) r where ${isActivity('r')}`.execute(db)).rows.map((row) => row.user_id);
  }
  const changed = (await sql<{ user_id: string }>`${usersKeptDiffer(projectId, window.to)}`.execute(db)).rows.map((row) => row.user_id);
  const active = await sql<{ user_id: string }>`
    select distinct a.user_id from user_active_days a
    where a.project_id = ${projectId} and a.day between ${window.from}::date and ${window.to}::date and a.user_id <> all(${changed}::text[])
    union
    select r.user_id from (${userRows(projectId, window, window.to, changed)}) r where ${isActivity('r')}`.execute(db);
  return active.rows.map((row) => row.user_id);
}

/**
 * Scores by group (domain/groups.ts `groupFigures`) as of a day under a model: the users of one
 * account (everyone with an event belonging to it, as `GET /v1/accounts/:id/users` lists them) with
 * their points in the account's events, or every user seen with their own scores; grouped by the
 * user trait `trait` as of the day. The points are summed per group and feature in SQL (users
 * numbered by their group, `groupKeyOf`), so only those sums leave the database; `groupFigures`
 * gets each as the points of one member of the group. Cached until the project stores new events.
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
    const [memberIds, active, traits] = await Promise.all([
      accountId === undefined
        ? userScoreTable(db, cache, projectId, model, asOf).then((table) => [...table.byId.keys()])
        : accountMembersAsOf(db, projectId, accountId, asOf),
      accountId === undefined
        ? activeUsersOfWindow(db, projectId, window)
        : sql<{ user_id: string }>`select distinct r.user_id from (${rows}) r where ${isActivity('r')}`.execute(db).then((result) => result.rows.map((row) => row.user_id)),
      traitsAsOf(db, projectId, 'users', [trait], asOf),
    ]);
    const activeIds = new Set(active);
    const members = memberIds.map((userId) => ({ userId, trait: traits.get(userId)?.[trait], active: activeIds.has(userId) }));
    // Each group's number and one member standing for it.
    const numbers = new Map<string, number>();
    const standIns: string[] = [];
    const groupNumbers = members.map((member) => {
      const key = groupKeyOf(member.trait);
      let number = numbers.get(key);
      if (number === undefined) {
        numbers.set(key, (number = standIns.length));
        standIns.push(member.userId);
      }
      return number;
    });
    // Summed per user and feature first, then per group: the join then meets one row per user and
    // feature, matched bytewise (collate "C": the same equality, without sorting by the locale's order).
    const counts = await sql<{ group_number: number; event: string; count: number }>`
      select g.n as group_number, u.event, sum(u.count)::float8 as count from (
        select c.user_id, c.event, sum(c.capped) as count from (${cappedDailyCounts(model, rows)}) c group by c.user_id, c.event
      ) u
      join unnest(${members.map((member) => member.userId)}::text[], ${groupNumbers}::int[]) as g(user_id, n) on g.user_id = u.user_id collate "C"
      group by g.n, u.event`.execute(db);
    const points = counts.rows.map((row) => ({ userId: standIns[row.group_number]!, event: row.event, label: featureLabel(model, row.event), points: featureWeight(model, row.event) * row.count }));
    return { window, groups: groupFigures(members, points) };
  });
}
