import type { ColumnType, Generated } from 'kysely';

export type SegmentKind = 'accounts' | 'users';
export type TransitionKind = 'baseline' | 'entered' | 'exited';

/** A UTC day (`YYYY-MM-DD`); read it with `::text`, as node-postgres turns a date into a local-time Date. */
type DayColumn = string;

/**
 * The segments the watcher tracks per project (docs/plays.md): the definition it watches (a new
 * one starts a new baseline) and the last day it checked.
 */
export type SegmentWatchesTable = {
  project_id: string;
  segment_key: string;
  of: SegmentKind;
  name: string;
  /** JSON of what decides membership: the score model version and the thresholds or the custom rule. */
  definition: string;
  model_version: number;
  baseline_day: DayColumn;
  checked_day: DayColumn;
  checked_at: Generated<Date>;
};

/** Who is in each watched segment now, with the facts that put them there. */
export type SegmentMembershipsTable = {
  project_id: string;
  segment_key: string;
  member_id: string;
  since_day: DayColumn;
  facts: ColumnType<unknown, string, string>;
  model_version: number;
};

/** Append-only: every baseline member, entry and exit, with the day and the facts. */
export type SegmentTransitionsTable = {
  project_id: string;
  transition_id: ColumnType<number, never, never>;
  segment_key: string;
  of: SegmentKind;
  member_id: string;
  kind: TransitionKind;
  day: DayColumn;
  facts: ColumnType<unknown, string, string>;
  model_version: number;
  recorded_at: Generated<Date>;
};
