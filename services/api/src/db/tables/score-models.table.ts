import type { ColumnType, Generated } from 'kysely';

export type ScoreModelFeatures = Record<string, { weight: number; label: string; valueText?: string | undefined }>;

/** Versions of a project's score model; at most one `active`. Version 1 is the implicit default. */
export type ScoreModelsTable = {
  project_id: string;
  version: number;
  /** `{ "*": … }` in version 1 means every non-reserved track event, weight 1. */
  features: ColumnType<ScoreModelFeatures, string, string>;
  window_days: number;
  daily_cap: number;
  status: 'active' | 'shadow' | 'retired';
  created_at: Generated<Date>;
};
