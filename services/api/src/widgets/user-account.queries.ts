import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';

/**
 * The account a widget answer is about, among the user's verified memberships only (a group call
 * that carried the user's valid userHash, docs/widgets.md): `requested` when the user is a
 * verified member of it (undefined when not: the caller refuses), else the account the user
 * joined last that way, null when none. An unverified group call opens nothing.
 *
 * @example
 * await widgetAccountOf(db, projectId, 'u1') // → 'acme'
 */
export async function widgetAccountOf(db: Kysely<Database>, projectId: string, userId: string, requested?: string): Promise<string | null | undefined> {
  let query = db.selectFrom('verified_memberships').select('account_id').where('project_id', '=', projectId).where('user_id', '=', userId);
  if (requested !== undefined) query = query.where('account_id', '=', requested);
  const row = await query.orderBy('joined_at', 'desc').orderBy('account_id').limit(1).executeTakeFirst();
  if (row) return row.account_id;
  return requested === undefined ? null : undefined;
}

/**
 * As `widgetAccountOf`, refusing a requested account the user is not a verified member of: a 403
 * naming `accountId` (every widget route answers it the same way).
 */
export async function widgetAccountOrThrow(db: Kysely<Database>, projectId: string, userId: string, requested: string | undefined): Promise<string | null> {
  const accountId = await widgetAccountOf(db, projectId, userId, requested);
  if (accountId === undefined) {
    throw new HttpError(
      403,
      'not_a_member',
      `accountId: user "${userId}" is not a verified member of account "${requested}" (only a group call carrying the user's context.userHash makes one)`,
      { path: 'accountId' },
    );
  }
  return accountId;
}
