import type { z } from 'zod';
import type {
  accountHealthSchema,
  accountScoreChangesSchema,
  healthModelListSchema,
  healthModelSchema,
  healthQuerySchema,
  healthSeriesQuerySchema,
  healthSeriesSchema,
  newHealthModelSchema,
  scoreChangesQuerySchema,
  userScoreChangesSchema,
} from '@uptake/protocol';

// Account health and explained score changes (docs/api.md, Health and Why a score changed).

/** `asOf`, `model` (score model version), `version` (health model version). */
export type HealthQuery = Partial<z.output<typeof healthQuerySchema>>;
/** `from`, `to` (at most 31 days; default the 30 days to today), `model`, `version`. */
export type HealthSeriesQuery = Partial<z.output<typeof healthSeriesQuerySchema>>;
/** `from`, `to` (default the 30 days before today … today), `model`. */
export type ScoreChangesQuery = Partial<z.output<typeof scoreChangesQuerySchema>>;
/** A new health model version (POST /v1/health-models). */
export type NewHealthModel = z.input<typeof newHealthModelSchema>;

export type HealthModel = z.output<typeof healthModelSchema>;
export type HealthModelList = z.output<typeof healthModelListSchema>;
export type AccountHealth = z.output<typeof accountHealthSchema>;
/** One component of an account's health: raw value, normalised 0–100, weight, contribution. */
export type HealthComponent = AccountHealth['components'][number];
export type HealthSeries = z.output<typeof healthSeriesSchema>;
export type UserScoreChanges = z.output<typeof userScoreChangesSchema>;
export type AccountScoreChanges = z.output<typeof accountScoreChangesSchema>;
