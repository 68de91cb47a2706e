import { z } from 'zod';

/**
 * Query API (secret key): request parameters and answers. The service validates with these
 * schemas and `@uptake/client` derives its types from them, so both always agree.
 */

const isoDay = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

export const asOfQuerySchema = z.object({
  asOf: isoDay.optional().describe('UTC day the figure is computed as of (default: today)'),
});

export const scoreQuerySchema = asOfQuerySchema.extend({
  model: z.coerce.number({ error: 'must be a model version number' }).int('must be a whole number').min(1, 'must be ≥ 1').optional().describe('score model version (default: the active one)'),
});

export const rankedScoresQuerySchema = scoreQuerySchema.extend({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(50),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
  order: z.enum(['desc', 'asc'], { error: 'must be desc or asc' }).default('desc'),
});

export const dateRangeQuerySchema = z.object({
  from: isoDay.optional(),
  to: isoDay.optional(),
  accountId: z.string().min(1).max(200).optional(),
});

export const scoreBreakdownItemSchema = z.object({
  event: z.string(),
  label: z.string(),
  count: z.number().describe('Σ over the window of the daily count, each day capped at dailyCap'),
  weight: z.number(),
  points: z.number().describe('weight × count'),
});

export const scoreModelRefSchema = z.object({ version: z.number().int() });
export const scoreWindowSchema = z.object({ from: z.string(), to: z.string() });

export const userScoreSchema = z.object({
  userId: z.string(),
  score: z.number(),
  percentile: z.number().int().nullable().describe('round(100 × percent_rank) among all users seen as of the day; null when the user was not seen yet'),
  model: scoreModelRefSchema,
  window: scoreWindowSchema,
  breakdown: z.array(scoreBreakdownItemSchema),
});

export const accountScoreSchema = z.object({
  accountId: z.string(),
  score: z.number(),
  percentile: z.number().int().nullable(),
  model: scoreModelRefSchema,
  window: scoreWindowSchema,
  breakdown: z.array(scoreBreakdownItemSchema),
  activeUsers: z.number().int().describe('users active in the account in the window'),
  perActiveUser: z.number().describe('score ÷ activeUsers; 0 when nobody was active'),
  topUsers: z.array(z.object({ userId: z.string(), score: z.number() })),
});

export const rankedUserSchema = z.object({ userId: z.string(), score: z.number(), percentile: z.number().int() });
export const rankedAccountSchema = z.object({ accountId: z.string(), score: z.number(), percentile: z.number().int() });

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    model: scoreModelRefSchema,
    window: scoreWindowSchema,
    items: z.array(item),
    nextCursor: z.string().nullable(),
  });

export const rankedUsersSchema = page(rankedUserSchema);
export const rankedAccountsSchema = page(rankedAccountSchema);

export const activeDaySchema = z.object({
  date: z.string(),
  dau: z.number().int(),
  wau: z.number().int(),
  mau: z.number().int(),
  stickiness: z.number().describe('DAU ÷ MAU as a ratio; 0 when MAU is 0'),
});
export const activeMetricsSchema = z.object({ days: z.array(activeDaySchema) });

export const utilisationSchema = z.object({
  accountId: z.string(),
  asOf: z.string(),
  seats: z.number().nullable(),
  activeUsers30d: z.number().int(),
  utilisation: z.number().nullable().describe('activeUsers30d ÷ seats as a ratio; null when seats are unknown or 0'),
  utilisation30dAgo: z.number().nullable(),
  change: z.number().nullable().describe('utilisation ÷ utilisation30dAgo − 1; null when either is unknown or the earlier is 0'),
});

export const npsSummarySchema = z.object({
  from: z.string(),
  to: z.string(),
  nps: z.number().int().nullable().describe('round(100 × (promoters − detractors) ÷ responses); null without responses'),
  responses: z.number().int(),
  promoters: z.number().int(),
  passives: z.number().int(),
  detractors: z.number().int(),
});
export const npsAnswerSchema = npsSummarySchema.extend({
  trend: z.object({
    previous: npsSummarySchema.describe('the same-length window ending 30 days earlier'),
    change: z.number().int().nullable().describe('nps − previous.nps'),
  }),
});

export const scoreFeatureSchema = z.object({
  weight: z.number().min(0, 'must be ≥ 0').max(1_000_000),
  label: z.string().min(1).max(200),
  valueText: z.string().max(500).optional(),
});

export const scoreModelSchema = z.object({
  version: z.number().int(),
  status: z.enum(['active', 'shadow', 'retired']),
  everyTrackEvent: z.boolean().describe('version 1: every non-reserved track event, weight 1, label = name'),
  features: z.record(z.string(), scoreFeatureSchema),
  windowDays: z.number().int(),
  dailyCap: z.number().int(),
  createdAt: z.string().nullable(),
});
export const scoreModelListSchema = z.object({ models: z.array(scoreModelSchema) });

export const newScoreModelSchema = z.object({
  features: z
    .record(z.string().min(1).max(200), scoreFeatureSchema)
    .refine((features) => Object.keys(features).length > 0, 'must name at least one feature'),
  windowDays: z.number().int().min(1).max(365).default(30),
  dailyCap: z.number().int().min(1).max(100_000).default(20),
  activate: z.boolean().default(true).describe('false: keep it as a shadow model, queryable with ?model='),
});

export type ScoreQuery = z.input<typeof scoreQuerySchema>;
export type RankedScoresQuery = z.input<typeof rankedScoresQuerySchema>;
export type DateRangeQuery = z.input<typeof dateRangeQuerySchema>;
export type UserScore = z.output<typeof userScoreSchema>;
export type AccountScore = z.output<typeof accountScoreSchema>;
export type RankedUsers = z.output<typeof rankedUsersSchema>;
export type RankedAccounts = z.output<typeof rankedAccountsSchema>;
export type ActiveMetrics = z.output<typeof activeMetricsSchema>;
export type Utilisation = z.output<typeof utilisationSchema>;
export type NpsAnswer = z.output<typeof npsAnswerSchema>;
export type NpsSummary = z.output<typeof npsSummarySchema>;
export type ScoreModel = z.output<typeof scoreModelSchema>;
export type ScoreModelList = z.output<typeof scoreModelListSchema>;
export type NewScoreModel = z.input<typeof newScoreModelSchema>;
