import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { groupFigures, type GroupFigures } from '../domain/groups.ts';
import { featureLabel, featureWeight } from '../domain/score.ts';
import { historyOf, type History } from '../domain/segments/fold-history.ts';
import { activityHistoryRows } from './activity-history.queries.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { userScoreTable } from './scores.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

/**
 * Who had been seen by the end of a day, when, and who belonged to each account then: the whole
 * history the segment facts fold (domain/segments/fold-history.ts `historyOf` over
 * `activityHistoryRows`), without the rest of the facts.
 */
export async function membershipHistory(db: Kysely<Database>, projectId: string, asOf: string): Promise<History> {
  return historyOf(await activityHistoryRows(db, projectId, asOf));
}

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

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
    const [memberIds, counts, active, traits] = await Promise.all([
      accountId === undefined
        ? userScoreTable(db, cache, projectId, model, asOf).then((table) => [...table.byId.keys()])
        : membershipHistory(db, projectId, asOf).then((history) => [...(history.members.get(accountId)?.keys() ?? [])]),
      sql<{ user_id: string; event: string; count: number }>`
        select c.user_id, c.event, sum(c.capped)::float8 as count from (${cappedDailyCounts(model, rows)}) c group by c.user_id, c.event`.execute(db),
      sql<{ user_id: string }>`select distinct r.user_id from (${rows}) r where ${isActivity('r')}`.execute(db),
      traitsAsOf(db, projectId, 'users', [trait], asOf),
    ]);
    const activeIds = new Set(active.rows.map((row) => row.user_id));
    const members = memberIds.map((userId) => ({ userId, trait: traits.get(userId)?.[trait], active: activeIds.has(userId) }));
    const points = counts.rows.map((row) => ({ userId: row.user_id, event: row.event, label: featureLabel(model, row.event), points: featureWeight(model, row.event) * row.count }));
    return { window, groups: groupFigures(members, points) };
  });
}
