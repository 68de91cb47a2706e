import type { ColumnType } from 'kysely';
import type { TraitStamps } from './users.table.ts';

export type AccountsTable = {
  project_id: string;
  account_id: string;
  /** Traits of every group call folded in event order: per trait, the latest call's value. */
  traits: ColumnType<Record<string, unknown>, string, string>;
  /** Per trait key, and for seats and onboarded_at, the call behind the value (users.table.ts). */
  trait_stamps: ColumnType<TraitStamps, string, string>;
  /** Timestamp of the latest group call folded in. */
  traits_at: Date;
  /** Licences bought: the latest numeric `seats` trait; null while unknown. */
  seats: number | null;
  /** The latest `onboardedAt` trait that is set. */
  onboarded_at: Date | null;
  updated_at: Date;
};
