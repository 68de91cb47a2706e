import type { ColumnType } from 'kysely';

export type AccountsTable = {
  project_id: string;
  account_id: string;
  /** Traits of every group call folded in event order: per trait, the latest call's value. */
  traits: ColumnType<Record<string, unknown>, string, string>;
  /** Timestamp of the latest group call folded in; an older call arriving later refolds the row. */
  traits_at: Date;
  /** Licences bought: the latest numeric `seats` trait; null while unknown. */
  seats: number | null;
  /** The latest `onboardedAt` trait that is set. */
  onboarded_at: Date | null;
  updated_at: Date;
};
