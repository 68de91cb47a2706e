import { z } from 'zod';
import { EXAMPLE_USER_ID } from './examples.ts';
import { idParamSchema, storableBody } from './query.ts';

/**
 * Widget API (write key + identity verification): what the in-app NPS prompt and progress
 * message ask the service, and what it answers. The browser SDK imports only the types.
 */

export const widgetUserQuerySchema = z.object({
  userId: idParamSchema().describe('the signed-in user, as sent in identify').meta({ examples: [EXAMPLE_USER_ID] }),
  userHash: z
    .string()
    .min(1)
    .max(200)
    .describe('hex(HMAC-SHA256(identitySecret, userId)), computed by your backend')
    .meta({ examples: ['9f2c4e1a7b3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8'] }),
  writeKey: z.string().min(1).max(200).optional().describe('the write key, when it cannot be sent as Authorization: Bearer <writeKey>'),
  accountId: idParamSchema()
    .optional()
    .describe("one of the user's accounts (group calls); default: the account the user joined last"),
});

export const npsPromptQuerySchema = widgetUserQuerySchema.extend({
  surveyId: idParamSchema().default('nps').describe('which survey the prompt is for (default "nps")'),
});

export const NPS_PROMPT_REASONS = [
  'eligible',
  'unknown_user',
  'too_new',
  'answered_recently',
  'dismissed_recently',
  'user_contacted_recently',
  'account_daily_limit',
  'response_quota_met',
  'not_sampled',
] as const;

export const npsPromptSchema = z.object({
  show: z.boolean().describe('true: show the prompt now (the service has counted it as a contact)'),
  surveyId: z.string(),
  question: z.string().describe('the question to ask, from the project settings'),
  reason: z.enum(NPS_PROMPT_REASONS).describe('"eligible" when show is true, else the first rule that failed'),
});

export const widgetWindowSchema = z.object({ from: z.string(), to: z.string() });

export const progressItemSchema = z.object({
  event: z.string(),
  label: z.string(),
  count: z.number().int().describe('uses in the window'),
  previousCount: z.number().int().describe('uses in the window before it'),
  change: z.number().int().describe('count − previousCount'),
});

export const missingFeatureSchema = z.object({
  event: z.string(),
  label: z.string(),
  weight: z.number(),
  valueText: z.string().nullable().describe('why it is worth using, from the score model'),
});

export const progressSchema = z.object({
  userId: z.string(),
  model: z.object({ version: z.number().int() }),
  window: widgetWindowSchema.describe('the active score model window, as of today (UTC days, both included)'),
  previousWindow: widgetWindowSchema,
  user: z.object({
    items: z.array(progressItemSchema).describe('features the user used in either window, most used first'),
    missing: z.array(missingFeatureSchema).describe('the most valuable features the user never used'),
  }),
  account: z
    .object({
      accountId: z.string(),
      items: z.array(progressItemSchema).describe("the account's totals (every user of it together)"),
    })
    .nullable()
    .describe('null when the user belongs to no account'),
});

const days = (max: number) => z.number().int('must be a whole number').min(0, 'must be ≥ 0').max(max, `must be ≤ ${max}`);

export const npsPromptSettingsSchema = z.object({
  question: z.string().min(1).max(500),
  samplingRate: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').describe('share of eligible users asked (stable per user and survey)'),
  minUserAgeDays: days(3650).describe('a user first seen this long ago may be asked before the account is onboarded'),
  responseCooldownDays: days(3650).describe('no prompt this long after a response'),
  dismissCooldownDays: days(3650).describe('no prompt this long after a dismissal'),
  userContactIntervalDays: days(3650).describe('at most one prompt per user in this many days (every device)'),
  accountDailyPromptLimit: z.number().int('must be a whole number').min(0).max(1_000_000).describe('at most this many prompts per account per UTC day'),
  responseQuota: z.number().int('must be a whole number').min(1).max(100_000_000).nullable().describe('stop asking once the project has this many responses in responseQuotaDays; null: no quota'),
  responseQuotaDays: days(3650).min(1, 'must be ≥ 1'),
});

export const progressSettingsSchema = z.object({
  maxMissing: z.number().int('must be a whole number').min(0).max(20).describe('how many unused valuable features to suggest'),
});

export const widgetSettingsSchema = z.object({
  nps: npsPromptSettingsSchema,
  progress: progressSettingsSchema,
});

/** PUT body: the settings to store; every field left out takes its default. */
export const widgetSettingsInputSchema = storableBody(
  z.strictObject({
    nps: npsPromptSettingsSchema.partial().strict().optional(),
    progress: progressSettingsSchema.partial().strict().optional(),
  }),
);

export type WidgetUserQuery = z.input<typeof widgetUserQuerySchema>;
export type NpsPromptQuery = z.input<typeof npsPromptQuerySchema>;
export type NpsPrompt = z.output<typeof npsPromptSchema>;
export type NpsPromptReasonCode = (typeof NPS_PROMPT_REASONS)[number];
export type Progress = z.output<typeof progressSchema>;
export type ProgressItem = z.output<typeof progressItemSchema>;
export type MissingFeature = z.output<typeof missingFeatureSchema>;
export type WidgetSettings = z.output<typeof widgetSettingsSchema>;
export type WidgetSettingsInput = z.input<typeof widgetSettingsInputSchema>;
