import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays, laterOf, windowOf } from '../domain/days.ts';
import { npsOf } from '../domain/nps.ts';
import type { FigureCache } from './figure-cache.ts';
import { endOfDay } from '../figure-sql/activity-rows.ts';
import { latestNpsPerAccountUser, latestNpsPerUser } from '../figure-sql/figures.ts';

/**
 * Latest response per user among the responses in from … to (UTC days), as the project stood at
 * the end of `asOf`, for the project or one account.
 */
async function latestScores(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string, accountId?: string): Promise<number[]> {
  const latest = accountId === undefined ? latestNpsPerUser(projectId, window, asOf) : latestNpsPerAccountUser(projectId, window, asOf, accountId);
  const result = await sql<{ score: number }>`select l.score from (${latest}) l`.execute(db);
  return result.rows.map((row) => row.score);
}

/**
 * NPS (domain/nps.ts `npsOf`) over a window as the project stood at the end of `asOf`, for the
 * project or one account, without the trend (`npsSummary`'s `nps`, `responses` …).
 */
export async function npsOfWindow(db: Kysely<Database>, projectId: string, window: { from: string; to: string; asOf: string; accountId?: string | undefined }) {
  return npsOf(await latestScores(db, projectId, window, window.asOf, window.accountId));
}

/** Days of the NPS window a request without `from` gets (GET /v1/nps): the 90 days to its last day. */
export const NPS_DEFAULT_DAYS = 90;

/**
 * NPS over a window, and the same-length window 30 days earlier as the trend (cached until the
 * project stores new events).
 *
 * @example
 * await npsSummary(db, cache, projectId, { from: '2026-01-01', to: '2026-03-31', asOf: '2026-03-31' })
 */
export function npsSummary(db: Kysely<Database>, cache: FigureCache, projectId: string, window: { from: string; to: string; asOf: string; accountId?: string | undefined }) {
  return cache.get(projectId, `nps:${window.from}:${window.to}:${window.asOf}:${window.accountId ?? ''}`, () => computeNps(db, projectId, window), laterOf(window.to, window.asOf));
}

async function computeNps(db: Kysely<Database>, projectId: string, window: { from: string; to: string; asOf: string; accountId?: string | undefined }) {
  const previousWindow = { from: addDays(window.from, -30), to: addDays(window.to, -30) };
  const [current, previous] = await Promise.all([
    npsOfWindow(db, projectId, window),
    npsOfWindow(db, projectId, { ...previousWindow, asOf: addDays(window.asOf, -30), accountId: window.accountId }),
  ]);
  const now = { from: window.from, to: window.to, ...current };
  const before = { ...previousWindow, ...previous };
  return { ...now, trend: { previous: before, change: now.nps !== null && before.nps !== null ? now.nps - before.nps : null } };
}

/**
 * `npsOfWindow` of one account on each of `days`, each over the `windowDays` days to it as the
 * project stood at its end: from one read of the answers of all the windows that name the
 * account or were given by one of its members (figure-sql/figures.ts `latestNpsPerAccountUser`),
 * each with the day from which it counts (its identity link's, its user's join's). The answers
 * come ordered latest first per user (in SQL, as that query orders them); each day takes each
 * user's first answer in its window that counts by then.
 *
 * @example
 * (await accountNpsByDay(db, projectId, 'acme', 90, ['2026-03-30', '2026-03-31'])).get('2026-03-31') // 40
 */
export async function accountNpsByDay(db: Kysely<Database>, projectId: string, accountId: string, windowDays: number, days: readonly string[]): Promise<Map<string, number | null>> {
  if (days.length === 0) return new Map();
  const sorted = [...days].sort();
  const last = sorted.at(-1)!;
  const from = windowOf(sorted[0]!, windowDays).from;
  // An answer counts for the account from its link's day (an anonymous one's) and, when it
  // names no account, from its user's join.
  const result = await sql<{ user_id: string; score: number; day: string; counts_from: string | null }>`
    select coalesce(n.user_id, l.user_id) as user_id, n.score, (n.timestamp at time zone 'UTC')::date::text as day,
      greatest(l.link_day, (m.joined_at at time zone 'UTC')::date)::text as counts_from
    from nps_responses n
    left join identity_links l on n.user_id is null and l.project_id = n.project_id and l.anonymous_id = n.anonymous_id and l.link_day <= ${last}::date
    left join memberships m on n.account_id is null and m.project_id = n.project_id and m.account_id = ${accountId}
      and m.user_id = coalesce(n.user_id, l.user_id) and m.joined_at < ${endOfDay(last)}
    where n.project_id = ${projectId} and n.timestamp >= ${from}::date::timestamp at time zone 'UTC' and n.timestamp < ${endOfDay(last)}
      and coalesce(n.user_id, l.user_id) is not null and (n.account_id = ${accountId} or m.user_id is not null)
    order by 1, n.timestamp desc, n.message_id desc`.execute(db);
  return new Map(
    days.map((day) => {
      const window = windowOf(day, windowDays);
      const scores: number[] = [];
      let previous: string | undefined;
      for (const row of result.rows) {
        if (row.user_id === previous || row.day < window.from || row.day > day || (row.counts_from !== null && row.counts_from > day)) continue;
        previous = row.user_id;
        scores.push(row.score);
      }
      return [day, npsOf(scores).nps] as const;
    }),
  );
}
