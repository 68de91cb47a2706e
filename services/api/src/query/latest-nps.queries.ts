import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { latestNpsPerAccountUser, latestNpsPerUser } from '../figure-sql/figures.ts';

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
