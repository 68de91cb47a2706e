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
};
