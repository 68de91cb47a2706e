import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/**
 * Whether the project has seen or been told of the user: a users row or a first-seen day. The
 * query API's user routes (a 404 otherwise) and the user export (privacy/) decide it here.
 */
export async function userExists(db: Kysely<Database>, projectId: string, userId: string): Promise<boolean> {
  const [seen, known] = await Promise.all([
    db.selectFrom('user_first_seen').select('user_id').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst(),
    db.selectFrom('users').select('user_id').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst(),
  ]);
  return Boolean(seen ?? known);
}

/** Whether the project has seen or been told of the account: an accounts row or a first-seen day. */
export async function accountExists(db: Kysely<Database>, projectId: string, accountId: string): Promise<boolean> {
  const [seen, known] = await Promise.all([
    db.selectFrom('account_first_seen').select('account_id').where('project_id', '=', projectId).where('account_id', '=', accountId).executeTakeFirst(),
    db.selectFrom('accounts').select('account_id').where('project_id', '=', projectId).where('account_id', '=', accountId).executeTakeFirst(),
  ]);
  return Boolean(seen ?? known);
}
