import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays } from '../domain/days.ts';
import { npsOf } from '../domain/nps.ts';
import type { FigureCache } from './figure-cache.ts';
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
    npsOfWindow(db, projectId, window),
    npsOfWindow(db, projectId, { ...previousWindow, asOf: addDays(window.asOf, -30), accountId: window.accountId }),
  ]);
  const now = { from: window.from, to: window.to, ...current };
  const before = { ...previousWindow, ...previous };
  return { ...now, trend: { previous: before, change: now.nps !== null && before.nps !== null ? now.nps - before.nps : null } };
}
