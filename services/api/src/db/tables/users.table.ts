import type { ColumnType } from 'kysely';

/** A call's place in call order: timestamp (ms), receive time (ms), messageId (code-point order). */
export type TraitStamp = [number, number, string];

/**
 * `k`: per trait key, the stamp of the call whose value the row holds. Accounts also keep the
 * stamps of the calls behind `seats` (latest numeric) and `onboarded_at` (latest string).
 */
export type TraitStamps = { k?: Record<string, TraitStamp>; seats?: TraitStamp; onboardedAt?: TraitStamp };

export type UsersTable = {
  project_id: string;
  user_id: string;
  /** Traits of every identify folded in event order: per trait, the latest call's value. */
  traits: ColumnType<Record<string, unknown>, string, string>;
  /** Per trait key, the call that set its value: a late older call merges key by key against it. */
  trait_stamps: ColumnType<TraitStamps, string, string>;
  /** Timestamp of the latest identify folded in. */
  traits_at: Date;
  updated_at: Date;
};
