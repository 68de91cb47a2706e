import type { ColumnType, Generated } from 'kysely';

export type DeletionSubjectKind = 'user' | 'account';

/** What a running deletion needs to finish: cleared when it completes (docs/privacy.md). */
export type PendingDeletion = { id: string; anonymousIds: string[]; salt: string };

/** One deletion request and its receipt (docs/privacy.md, "Deletion"). */
export type DeletionsTable = {
  project_id: string;
  deletion_id: string;
  subject: DeletionSubjectKind;
  status: 'running' | 'completed';
  allow_return: Generated<boolean>;
  requested_at: Date;
  completed_at: Date | null;
  /** Rows handled per table, counted in the transaction that handled them. */
  rows: ColumnType<Record<string, number>, string, string>;
  pending: ColumnType<PendingDeletion | null, string | null, string | null>;
  /**
   * The steps done (by name), and the step under way with where its walk over a table stopped
   * (the events' messageId). Rows from before steps had names hold `step` as an index.
   */
  progress: ColumnType<{ done?: string[]; step?: string; cursor?: string }, string, string>;
  claimed_until: Date | null;
};

/** The per-project secret of the suppression list's keyed hashes; never leaves the server. */
export type PrivacyKeysTable = {
  project_id: string;
  suppression_secret: string;
};

/** A deleted id, as HMAC-SHA-256(project's suppression secret, kind + id): never the id. */
export type DeletionSuppressionsTable = {
  project_id: string;
  key_hash: string;
  created_at: Generated<Date>;
};
