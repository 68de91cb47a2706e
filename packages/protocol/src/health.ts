import { z } from 'zod';
import { queryDaySchema, scoreModelRefSchema, scoreQuerySchema, storableBody } from './query.ts';

/**
 * Account health (docs/api.md, Health) and explained score changes: request parameters and
 * answers. The service validates with these schemas and `@uptake/client` derives its types from them.
 */

/** The components a health model combines, in the order answers list them. */
export const healthComponentKeys = ['engagement', 'utilisation', 'nps', 'trend', 'champions', 'breadth'] as const;
export type HealthComponentKey = (typeof healthComponentKeys)[number];

export const healthBandNames = ['red', 'yellow', 'green'] as const;
export type HealthBand = (typeof healthBandNames)[number];

const weight = z.number({ error: 'must be a whole number from 0 to 100' }).int('must be a whole number from 0 to 100').min(0, 'must be a whole number from 0 to 100').max(100, 'must be a whole number from 0 to 100');

/** One whole-number weight (0–100) per component; whole numbers keep the contributions exact. */
export const healthWeightsSchema = z.strictObject({
  engagement: weight.describe('the account score percentile'),
  utilisation: weight.describe('licence utilisation'),
  nps: weight.describe("the account's NPS"),
  trend: weight.describe('the score against the previous window'),
  champions: weight.describe('share of champions active in the last championQuietDays'),
  breadth: weight.describe("share of the project's scored features the account used in the window"),
});

const threshold = z.number({ error: 'must be a whole number from 0 to 100' }).int('must be a whole number from 0 to 100').min(0, 'must be a whole number from 0 to 100').max(100, 'must be a whole number from 0 to 100');

/** Bands of the 0–100 score: red below `yellow`, green from `green`, yellow between. */
export const healthBandsSchema = z
  .strictObject({
    yellow: threshold.describe('scores from this one are yellow (or green)'),
    green: threshold.describe('scores from this one are green'),
  })
  .refine((bands) => bands.yellow <= bands.green, { message: 'must not be above green', path: ['yellow'] });

export const healthModelSchema = z.object({
  version: z.number().int(),
  status: z.enum(['active', 'shadow', 'retired']),
  weights: healthWeightsSchema,
  bands: healthBandsSchema,
  createdAt: z.string().nullable(),
});
export const healthModelListSchema = z.object({ models: z.array(healthModelSchema) });

export const newHealthModelSchema = storableBody(
  z.strictObject({
    weights: healthWeightsSchema
      .refine((weights) => Object.values(weights).some((value) => value > 0), 'at least one weight must be above 0')
      .meta({ examples: [{ engagement: 30, utilisation: 25, nps: 10, trend: 15, champions: 10, breadth: 10 }] }),
    bands: healthBandsSchema.default({ yellow: 40, green: 70 }),
    activate: z.boolean().default(true).describe('false: keep it as a shadow model, queryable with ?version='),
  }),
);

const healthVersion = z.coerce.number({ error: 'must be a health model version number' }).int('must be a whole number').min(1, 'must be ≥ 1').optional().describe('health model version (default: the active one)');

/** `GET /v1/accounts/:accountId/health`. */
export const healthQuerySchema = scoreQuerySchema.extend({ version: healthVersion });

/** `GET /v1/accounts/:accountId/health/series` (at most 31 days). */
export const healthSeriesQuerySchema = scoreQuerySchema.omit({ asOf: true }).extend({
  from: queryDaySchema.optional().describe('first day (default: 29 days before to)'),
  to: queryDaySchema.optional().describe('last day (default: today)'),
  version: healthVersion,
});

export const healthComponentSchema = z.object({
  key: z.enum(healthComponentKeys),
  raw: z.number().nullable().describe('the measure before normalisation; null when unknown (the component then counts for nothing)'),
  normalised: z.number().nullable().describe('0–100, to two decimals'),
  weight: z.number().int(),
  contribution: z.number().int().describe('whole points of the score; the contributions add up to the score'),
  inputs: z.record(z.string(), z.number().nullable()).describe('what the raw value was computed from'),
});

export const healthRefSchema = z.object({ version: z.number().int() });

export const accountHealthSchema = z.object({
  accountId: z.string(),
  asOf: z.string(),
  healthModel: healthRefSchema,
  model: scoreModelRefSchema,
  score: z.number().int().nullable().describe('0–100; null when the account was not seen by asOf or no weighted component is known'),
  band: z.enum(healthBandNames).nullable(),
  components: z.array(healthComponentSchema),
});

export const healthSeriesSchema = z.object({
  accountId: z.string(),
  healthModel: healthRefSchema,
  model: scoreModelRefSchema,
  days: z.array(z.object({ date: z.string(), score: z.number().int().nullable(), band: z.enum(healthBandNames).nullable() })),
});

/** `GET /v1/users|accounts/:id/score/changes`. */
export const scoreChangesQuerySchema = scoreQuerySchema.omit({ asOf: true }).extend({
  from: queryDaySchema.optional().describe('the earlier day (default: 30 days before to)'),
  to: queryDaySchema.optional().describe('the later day (default: today)'),
});

export const featureChangeSchema = z.object({
  event: z.string(),
  label: z.string(),
  weight: z.number(),
  pointsFrom: z.number().describe('points of the feature in the score on from'),
  pointsTo: z.number(),
  change: z.number().describe('pointsTo − pointsFrom = entered + left + restated'),
  entered: z.number().describe('points of the days that entered the window (in the window of to, not of from), as of to'),
  left: z.number().describe('minus the points of the days that left the window (in the window of from, not of to), as of from'),
  restated: z.number().describe('days in both windows: their points as of to − as of from (late events, identity links, account joins)'),
});

export const userChangeSchema = z.object({
  userId: z.string(),
  pointsFrom: z.number(),
  pointsTo: z.number(),
  change: z.number(),
  activeFrom: z.boolean().describe('active in the account in the score window of from'),
  activeTo: z.boolean().describe('active in the account in the score window of to'),
  stopped: z.boolean().describe('activeFrom and not activeTo'),
});

const changeBase = {
  model: scoreModelRefSchema,
  from: z.string(),
  to: z.string(),
  scoreFrom: z.number(),
  scoreTo: z.number(),
  change: z.number().describe('scoreTo − scoreFrom; the byFeature (and byUser) changes add up to it'),
  byFeature: z.array(featureChangeSchema).describe('every feature with points on either day, by event name'),
};
export const userScoreChangesSchema = z.object({ userId: z.string(), ...changeBase });
export const accountScoreChangesSchema = z.object({
  accountId: z.string(),
  ...changeBase,
  byUser: z.array(userChangeSchema).describe('every user with points or activity on either day, by change ascending (the biggest falls first), then userId'),
});

export type HealthWeights = z.output<typeof healthWeightsSchema>;
export type HealthBands = z.output<typeof healthBandsSchema>;
export type HealthModel = z.output<typeof healthModelSchema>;
export type HealthModelList = z.output<typeof healthModelListSchema>;
export type NewHealthModel = z.input<typeof newHealthModelSchema>;
export type HealthQuery = z.input<typeof healthQuerySchema>;
export type HealthSeriesQuery = z.input<typeof healthSeriesQuerySchema>;
export type HealthComponent = z.output<typeof healthComponentSchema>;
export type AccountHealth = z.output<typeof accountHealthSchema>;
export type HealthSeries = z.output<typeof healthSeriesSchema>;
export type ScoreChangesQuery = z.input<typeof scoreChangesQuerySchema>;
export type FeatureChange = z.output<typeof featureChangeSchema>;
export type UserChange = z.output<typeof userChangeSchema>;
export type UserScoreChanges = z.output<typeof userScoreChangesSchema>;
export type AccountScoreChanges = z.output<typeof accountScoreChangesSchema>;
