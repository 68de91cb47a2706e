import type { ColumnType, Generated } from 'kysely';

export type ProjectsTable = {
  project_id: string;
  name: string;
  write_key: string;
  /** SHA-256 (hex) of the 256-bit random secret key; the key itself is shown once. */
  secret_key_hash: string;
  identity_secret: string;
  /** Origins allowed to call ingestion and widget routes; empty means any origin. */
  allowed_origins: ColumnType<string[], string, string>;
  settings: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  /** When each current key was made (at creation, then at each rotation). */
  write_key_created_at: Generated<Date>;
  secret_key_created_at: Generated<Date>;
  identity_secret_created_at: Generated<Date>;
  /** Days raw events are kept (docs/privacy.md, "Retention"); null: kept for ever. */
  retention_days: ColumnType<number | null, number | null | undefined, number | null>;
  /**
   * The first UTC day (YYYY-MM-DD) from which raw events are all kept; the retention worker has
   * deleted track and page events before it. Null: none ever expired. The rebuild keeps the
   * per-day rows of the days before it.
   */
  events_expired_before: ColumnType<string | null, string | null | undefined, string | null>;
};

export type KeyKind = 'write' | 'secret' | 'identity';

/** Keys replaced by a rotation, still accepted until `expires_at` (docs/security.md). */
export type RetiredKeysTable = {
  project_id: string;
  kind: KeyKind;
  /** SHA-256 (hex) of the retired key. */
  key_hash: string;
  /** The retired identity secret itself (kind `identity` only): checking userHashes needs it. */
  identity_secret: string | null;
  retired_at: Date;
  expires_at: Date;
};
