import type { ScoreModel } from '@uptake/protocol';
import type { ScoreModelFeatures } from '../db/tables/score-models.table.ts';

/** The default model every project starts with (docs/api.md, Definitions): every non-reserved track event, weight 1. */
export const DEFAULT_SCORE_MODEL: ScoreModel = { version: 1, status: 'active', everyTrackEvent: true, features: {}, windowDays: 30, dailyCap: 20, createdAt: null };

export type ScoreModelRow = { version: number; features: ScoreModelFeatures; window_days: number; daily_cap: number; status: ScoreModel['status']; created_at: Date };

/** A stored version as the figures read it (version 1 counts every track event). */
export function toScoreModel(row: ScoreModelRow): ScoreModel {
  return {
    version: row.version,
    status: row.status,
    everyTrackEvent: row.version === 1,
    features: row.features,
    windowDays: row.window_days,
    dailyCap: row.daily_cap,
    createdAt: row.created_at.toISOString(),
  };
}
