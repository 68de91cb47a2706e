import { z } from 'zod';
import { idParamSchema, queryDaySchema } from './query.ts';

/** Retention cohorts (docs/api.md, "Retention cohorts"): `GET /v1/retention`. */

export const retentionQuerySchema = z.object({
  by: z.enum(['week', 'month'], { error: 'must be week or month' }).default('week').describe('ISO weeks (Monday, UTC) or calendar months'),
  from: queryDaySchema.optional().describe('first day counted: users first seen and activity from then (default: 83 days before to by week, 182 by month; at most 400 days before to)'),
  to: queryDaySchema.optional().describe('last day counted, and the day the answer is as of (default: today)'),
  accountId: idParamSchema().optional().describe("only the account's users and activity in the account"),
});

export const retentionPeriodSchema = z.object({
  period: z.number().int().describe('periods after the cohort’s own (0: its own)'),
  start: z.string().describe('first day of the period'),
  active: z.number().int().describe('users of the cohort active in the period'),
  share: z.number().describe('active ÷ size, a ratio'),
});

export const retentionCohortSchema = z.object({
  start: z.string().describe('first day of the week or month the users were first seen in'),
  size: z.number().int().describe('users first seen in it (within from … to)'),
  periods: z.array(retentionPeriodSchema).describe('its own period, then every later one that starts by to'),
});

export const retentionSchema = z.object({
  by: z.enum(['week', 'month']),
  from: z.string(),
  to: z.string(),
  accountId: z.string().nullable(),
  cohorts: z.array(retentionCohortSchema).describe('oldest first; periods without new users are left out'),
});

export type Retention = z.output<typeof retentionSchema>;
export type RetentionCohort = z.output<typeof retentionCohortSchema>;
