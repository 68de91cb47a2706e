import type { ColumnType } from 'kysely';

export type UsersTable = {
  project_id: string;
  user_id: string;
  /** Traits of every identify folded in event order: per trait, the latest call's value. */
  traits: ColumnType<Record<string, unknown>, string, string>;
  /** Timestamp of the latest identify folded in; an older call arriving later refolds the row. */
  traits_at: Date;
  updated_at: Date;
};
