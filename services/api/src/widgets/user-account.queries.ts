import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * The account a widget answer is about: `requested` when the user is a member of it (undefined
 * when not: the caller refuses), else the account the user joined last, null when none.
 *
 * @example
 * await widgetAccountOf(db, projectId, 'u1') // → 'acme'
 */
export async function widgetAccountOf(db: Kysely<Database>, projectId: string, userId: string, requested?: string): Promise<string | null | undefined> {
  let query = db.selectFrom('memberships').select('account_id').where('project_id', '=', projectId).where('user_id', '=', userId);
  if (requested !== undefined) query = query.where('account_id', '=', requested);
  const row = await query.orderBy('joined_at', 'desc').orderBy('account_id').limit(1).executeTakeFirst();
  if (row) return row.account_id;
  return requested === undefined ? null : undefined;
}
