import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays } from '../domain/days.ts';
import { npsOf } from '../domain/nps.ts';
import { endOfDay } from './activity-rows.queries.ts';
import type { FigureCache } from './figure-cache.ts';

/**
 * Latest response per user among the responses in from … to (UTC days), as the project stood at
 * the end of `asOf`, for the project or one account.
 */
async function latestScores(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string, accountId?: string): Promise<number[]> {
  const result = await sql<{ score: number }>`
    select distinct on (r.user_id) r.score from (
      select coalesce(n.user_id, l.user_id) as user_id, n.account_id, n.score, n.timestamp, n.message_id
      from nps_responses n
      left join identity_links l on n.user_id is null and l.project_id = n.project_id and l.anonymous_id = n.anonymous_id and l.link_day <= ${asOf}::date
      where n.project_id = ${projectId}
        and n.timestamp >= ${window.from}::date::timestamp at time zone 'UTC'
        and n.timestamp < ${endOfDay(window.to)} and n.timestamp < ${endOfDay(asOf)}
    ) r
    where r.user_id is not null
    ${
      accountId === undefined
        ? sql``
        : sql`and (r.account_id = ${accountId} or (r.account_id is null and exists (
            select 1 from memberships m
            where m.project_id = ${projectId} and m.account_id = ${accountId} and m.user_id = r.user_id and m.joined_at < ${endOfDay(asOf)})))`
    }
    order by r.user_id, r.timestamp desc, r.message_id desc`.execute(db);
  return result.rows.map((row) => row.score);
}

/**
 * NPS over a window, and the same-length window 30 days earlier as the trend (cached until the
 * project stores new events).
 *
 * @example
 * await npsSummary(db, cache, projectId, { from: '2026-01-01', to: '2026-03-31', asOf: '2026-03-31' })
 */
export function npsSummary(db: Kysely<Database>, cache: FigureCache, projectId: string, window: { from: string; to: string; asOf: string; accountId?: string | undefined }) {
  return cache.get(projectId, `nps:${window.from}:${window.to}:${window.asOf}:${window.accountId ?? ''}`, () => computeNps(db, projectId, window));
}

async function computeNps(db: Kysely<Database>, projectId: string, window: { from: string; to: string; asOf: string; accountId?: string | undefined }) {
  const previousWindow = { from: addDays(window.from, -30), to: addDays(window.to, -30) };
  const [current, previous] = await Promise.all([
    latestScores(db, projectId, window, window.asOf, window.accountId),
    latestScores(db, projectId, previousWindow, addDays(window.asOf, -30), window.accountId),
  ]);
  const now = { from: window.from, to: window.to, ...npsOf(current) };
  const before = { ...previousWindow, ...npsOf(previous) };
  return { ...now, trend: { previous: before, change: now.nps !== null && before.nps !== null ? now.nps - before.nps : null } };
}
