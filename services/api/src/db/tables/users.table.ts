import type { ColumnType } from 'kysely';

export type UsersTable = {
  project_id: string;
  user_id: string;
  /** Traits merged from every identify, later ones winning. */
  traits: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
};
