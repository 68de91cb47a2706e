import type { ColumnType } from 'kysely';

export type AccountsTable = {
  project_id: string;
  account_id: string;
  traits: ColumnType<Record<string, unknown>, string, string>;
  /** Licences bought (`seats` trait); null while unknown. */
  seats: number | null;
  onboarded_at: Date | null;
  updated_at: Date;
};
