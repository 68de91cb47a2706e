import { z } from 'zod';
import { asOfQuerySchema } from './query.ts';

/** Score-model comparison (docs/api.md, "Comparing two score models"): `GET /v1/score-models/compare`. */

const version = (name: string) => z.coerce.number({ error: 'must be a model version number' }).int('must be a whole number').min(1, 'must be ≥ 1').describe(`score model version ${name}`);

/** The most movers a comparison lists each way (`limit`). */
export const MAX_COMPARE_MOVERS = 100;

export const scoreModelCompareQuerySchema = asOfQuerySchema.extend({
  a: version('a (the one you use)'),
  b: version('b (the one you consider)'),
  of: z.enum(['users', 'accounts'], { error: 'must be users or accounts' }).default('users'),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, `must be from 1 to ${MAX_COMPARE_MOVERS}`)
    .max(MAX_COMPARE_MOVERS, `must be from 1 to ${MAX_COMPARE_MOVERS}`)
    .default(10)
    .describe('movers listed each way'),
});

export const scoreModelMoverSchema = z.object({
  id: z.string().describe('the userId or accountId'),
  a: z.object({ rank: z.number(), score: z.number() }),
  b: z.object({ rank: z.number(), score: z.number() }),
  change: z.number().describe('rank under a − rank under b: positive moved up under b'),
});

export const scoreModelComparisonSchema = z.object({
  of: z.enum(['users', 'accounts']),
  asOf: z.string(),
  a: z.object({ version: z.number().int() }),
  b: z.object({ version: z.number().int() }),
  count: z.number().int().describe('ids ranked (everyone seen by asOf)'),
  spearman: z.number().nullable().describe('Spearman rank correlation (ties averaged); null with fewer than 2 ids or when every score is equal under a model'),
  movedUp: z.number().int(),
  movedDown: z.number().int(),
  unchanged: z.number().int(),
  up: z.array(scoreModelMoverSchema).describe('the biggest moves up, biggest first, then id'),
  down: z.array(scoreModelMoverSchema).describe('the biggest moves down, biggest first, then id'),
});

export type ScoreModelComparison = z.output<typeof scoreModelComparisonSchema>;
