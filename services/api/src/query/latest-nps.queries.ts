import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { latestNpsPerAccountUser, latestNpsPerUser } from '../figure-sql/figures.ts';
import type { FigureCache } from './figure-cache.ts';
import { windowFigure } from './window-split.ts';

/** Each user's latest NPS answer among the answers in the window, as the project stood at the end of `asOf` (figure-sql/figures.ts `latestNpsPerUser`). */
export async function latestNpsOfUsers(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<Array<{ userId: string; score: number }>> {
  const result = await sql<{ userId: string; score: number }>`select a.user_id as "userId", a.score from (${latestNpsPerUser(projectId, window, asOf)}) a`.execute(db);
  return result.rows;
}

/**
 * Per account, each user's latest NPS answer among the account's answers in the window, for every
 * account in one query (figure-sql/figures.ts `latestNpsPerAccountUser`).
 */
export async function latestNpsOfAccountUsers(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<Array<{ accountId: string; userId: string; score: number }>> {
  const result = await sql<{ accountId: string; userId: string; score: number }>`
    select a.account_id as "accountId", a.user_id as "userId", a.score from (${latestNpsPerAccountUser(projectId, window, asOf)}) a`.execute(db);
  return result.rows;
}

/**
 * Each user's latest answer in a window (`latestNpsOfUsers`: user → score), and per account each
 * of its users' latest among the account's answers (`latestNpsOfAccountUsers`: account → user → score).
 */
export type LatestAnswers = { users: ReadonlyMap<string, number>; accounts: ReadonlyMap<string, ReadonlyMap<string, number>> };

/** `kept` with `later`'s entries set over it, as a new map (`kept` itself when `later` has none). */
function overridden<K, V>(kept: ReadonlyMap<K, V>, later: ReadonlyMap<K, V>, merge: (kept: V | undefined, later: V) => V = (_, value) => value): ReadonlyMap<K, V> {
  if (later.size === 0) return kept;
  const map = new Map(kept);
  for (const [key, value] of later) map.set(key, merge(kept.get(key), value));
  return map;
}

/**
 * Both of the above over a window ending at its last day (the asOf), cached as a window figure
 * (window-split.ts): an answer of a later day is later than any of the days before, so the
 * latest of the days before, overridden by the last day's, is the latest of the window; after an
 * answer of today only today's answers are read.
 *
 * @example
 * const { users, accounts } = await latestAnswers(db, cache, projectId, windowOf(asOf, 90));
 * users.get('u1') // 9
 */
export function latestAnswers(db: Kysely<Database>, cache: FigureCache, projectId: string, window: { from: string; to: string }): Promise<LatestAnswers> {
  const asOf = window.to;
  return windowFigure<LatestAnswers, LatestAnswers>(
    cache,
    projectId,
    `latest-nps:${window.from}:${asOf}`,
    window,
    async (days) => {
      const [users, accountUsers] = await Promise.all([latestNpsOfUsers(db, projectId, days, asOf), latestNpsOfAccountUsers(db, projectId, days, asOf)]);
      const accounts = new Map<string, Map<string, number>>();
      for (const row of accountUsers) {
        const answers = accounts.get(row.accountId);
        if (answers) answers.set(row.userId, row.score);
        else accounts.set(row.accountId, new Map([[row.userId, row.score]]));
      }
      return { users: new Map(users.map((row) => [row.userId, row.score])), accounts };
    },
    { users: new Map(), accounts: new Map() },
    (before, last) => ({
      users: overridden(before.users, last.users),
      accounts: overridden(before.accounts, last.accounts, (kept, later) => (kept ? overridden(kept, later) : later)),
    }),
  );
}
