import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DeletionSubjectKind, PendingDeletion } from '../db/tables/deletions.table.ts';
import { newDeletionSalt } from './pseudonym.ts';
import { suppress, type SuppressionCandidate } from './suppression.ts';

/** What a deletion proves (docs/privacy.md): never the deleted id. */
export type DeletionReceipt = {
  deletionId: string;
  subject: DeletionSubjectKind;
  status: 'running' | 'completed';
  allowReturn: boolean;
  requestedAt: string;
  completedAt: string | null;
  rows: Record<string, number>;
};

/**
 * Records a deletion request, and (unless `allowReturn`) suppresses the ids in the same
 * transaction: from its commit on, ingestion refuses them, so the work that follows only ever
 * shrinks. A user's linked anonymousIds are collected now, while the links still name them.
 */
export async function requestDeletion(db: Kysely<Database>, projectId: string, subject: DeletionSubjectKind, id: string, allowReturn: boolean): Promise<string> {
  const deletionId = `del_${randomUUID().replaceAll('-', '')}`;
  await db.transaction().execute(async (trx) => {
    const anonymousIds =
      subject === 'user'
        ? (
            await sql<{ anonymous_id: string }>`
              select anonymous_id from identities where project_id = ${projectId} and user_id = ${id}
              union select anonymous_id from identity_links where project_id = ${projectId} and user_id = ${id}`.execute(trx)
          ).rows.map((row) => row.anonymous_id)
        : [];
    const pending: PendingDeletion = { id, anonymousIds, salt: newDeletionSalt() };
    await trx
      .insertInto('deletions')
      .values({ project_id: projectId, deletion_id: deletionId, subject, status: 'running', allow_return: allowReturn, requested_at: new Date(), completed_at: null, rows: '{}', pending: JSON.stringify(pending), progress: '{}', claimed_until: null })
      .execute();
    if (!allowReturn) {
      const candidates: SuppressionCandidate[] = subject === 'user' ? [{ kind: 'user', id }, ...anonymousIds.map((anonymousId) => ({ kind: 'anonymous' as const, id: anonymousId }))] : [{ kind: 'account', id }];
      await suppress(trx, projectId, candidates);
    }
  });
  return deletionId;
}

/** The receipt of one of the project's deletions; undefined when the project has none by that id. */
export async function deletionReceipt(db: Kysely<Database>, projectId: string, deletionId: string): Promise<DeletionReceipt | undefined> {
  const row = await db
    .selectFrom('deletions')
    .select(['deletion_id', 'subject', 'status', 'allow_return', 'requested_at', 'completed_at', 'rows'])
    .where('project_id', '=', projectId)
    .where('deletion_id', '=', deletionId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    deletionId: row.deletion_id,
    subject: row.subject,
    status: row.status,
    allowReturn: row.allow_return,
    requestedAt: new Date(row.requested_at).toISOString(),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at).toISOString(),
    rows: row.rows,
  };
}
