import { z } from 'zod';
import { idParamSchema, storableBody } from './query.ts';
import { widgetUserQuerySchema } from './widgets.ts';

/**
 * In-app campaigns (docs/campaigns.md): campaigns as data (secret key), the message a user gets
 * through the widget API (write key + userHash), the dashboard's preview and the results against
 * the holdout. The browser SDK imports only the types.
 */

export const CAMPAIGN_KINDS = ['welcome', 'missing-value', 'achievements', 'win-back', 'nps-follow-up', 'custom'] as const;

/**
 * The placeholders a title or body may hold, `{{name}}` (docs/campaigns.md, "Placeholders").
 * Templates are logic-less: no sections, conditions or raw output; every filled value is plain text.
 */
export const CAMPAIGN_PLACEHOLDERS = [
  'firstName',
  'accountName',
  'featureLabel',
  'featureValueText',
  'monthCount',
  'topFeatureLabel',
  'topFeatureCount',
  'npsScore',
] as const;

export const CAMPAIGN_TRAIT_OPS = ['eq', 'neq', 'exists', 'gt', 'lt'] as const;
export const MESSAGE_FORMATS = ['card', 'banner'] as const;

export const CAMPAIGN_LIMITS = {
  maxTitleLength: 200,
  maxBodyLength: 2000,
  maxCtaLabelLength: 80,
  maxUrlLength: 2000,
  maxSegments: 20,
  maxTraitConditions: 20,
  maxWithinDays: 365,
  maxFrequencyDays: 3650,
  maxHoldoutShare: 0.5,
  defaultHoldoutShare: 0.1,
} as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/** The placeholder names a template uses, in order of appearance (repeats kept once). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/** Why a template is not a valid logic-less template; undefined when it is. */
export function templateProblem(template: string): string | undefined {
  const unknown = placeholdersOf(template).filter((name) => !(CAMPAIGN_PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    return `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(', ')}; known ones: ${CAMPAIGN_PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')}`;
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    return `templates are logic-less: only {{name}} placeholders (known ones: ${CAMPAIGN_PLACEHOLDERS.join(', ')}), no sections, conditions or unclosed braces`;
  }
  return undefined;
}

const template = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .superRefine((text, ctx) => {
      const problem = templateProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const ctaUrl = z
  .string()
  .min(1, 'must not be empty')
  .max(CAMPAIGN_LIMITS.maxUrlLength, `must be at most ${CAMPAIGN_LIMITS.maxUrlLength} characters`)
  .refine((url) => /^https:\/\/[^\s/?#]+[^\s]*$/i.test(url) || /^\/(?![/\\])[^\s]*$/.test(url), {
    error: 'must be an https:// URL or a path relative to the page (starting with a single /)',
  });

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-06T00:00:00Z' });
const name = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const wholeDays = (min: number, max: number) =>
  z.number().int('must be a whole number').min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`);

export const traitConditionSchema = z
  .strictObject({
    trait: name,
    op: z.enum(CAMPAIGN_TRAIT_OPS, { error: `must be one of ${CAMPAIGN_TRAIT_OPS.join(', ')}` }),
    value: z.union([z.string().max(1000), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).optional(),
  })
  .superRefine((condition, ctx) => {
    if (condition.op === 'exists' && condition.value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be left out with op "exists"' });
    }
    if ((condition.op === 'eq' || condition.op === 'neq') && condition.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is required with op "${condition.op}"` });
    }
    if ((condition.op === 'gt' || condition.op === 'lt') && typeof condition.value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a number with op "${condition.op}"` });
    }
  });

export const campaignAudienceSchema = z.strictObject({
  segments: z
    .array(name, { error: 'must be an array of segment keys' })
    .min(1, 'must name at least one segment')
    .max(CAMPAIGN_LIMITS.maxSegments, `must name at most ${CAMPAIGN_LIMITS.maxSegments} segments`)
    .describe('user segment keys as GET /v1/segments/:key takes (built-in or custom); the user must be in one of them')
    .meta({ examples: [['dormant']] }),
  traits: z
    .array(traitConditionSchema)
    .max(CAMPAIGN_LIMITS.maxTraitConditions, `must hold at most ${CAMPAIGN_LIMITS.maxTraitConditions} conditions`)
    .default([])
    .describe("conditions on the user's traits, all of which must hold"),
});

export const campaignCtaSchema = z.strictObject({
  label: z.string().min(1, 'must not be empty').max(CAMPAIGN_LIMITS.maxCtaLabelLength, `must be at most ${CAMPAIGN_LIMITS.maxCtaLabelLength} characters`),
  url: ctaUrl,
});

export const campaignMessageSchema = z.strictObject({
  format: z.enum(MESSAGE_FORMATS, { error: `must be one of ${MESSAGE_FORMATS.join(', ')}` }).default('card'),
  title: template(CAMPAIGN_LIMITS.maxTitleLength),
  body: template(CAMPAIGN_LIMITS.maxBodyLength),
  cta: campaignCtaSchema.nullable().default(null),
});

export const campaignFrequencySchema = z.discriminatedUnion(
  'kind',
  [z.strictObject({ kind: z.literal('once') }), z.strictObject({ kind: z.literal('every'), days: wholeDays(1, CAMPAIGN_LIMITS.maxFrequencyDays) })],
  { error: 'must be { "kind": "once" } or { "kind": "every", "days": N }' },
);

export const campaignScheduleSchema = z
  .strictObject({
    startsAt: isoTime.nullable().default(null),
    endsAt: isoTime.nullable().default(null),
    frequency: campaignFrequencySchema.default({ kind: 'once' }),
    priority: z.number().int('must be a whole number').min(-1000, 'must be ≥ -1000').max(1000, 'must be ≤ 1000').default(0).describe('higher first'),
  })
  .superRefine((schedule, ctx) => {
    if (schedule.startsAt !== null && schedule.endsAt !== null && Date.parse(schedule.endsAt) <= Date.parse(schedule.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    }
  });

export const campaignGoalSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('event'), event: name, withinDays: wholeDays(1, CAMPAIGN_LIMITS.maxWithinDays) }),
    z.strictObject({ kind: z.literal('segment-exit'), segment: name, withinDays: wholeDays(1, CAMPAIGN_LIMITS.maxWithinDays) }),
  ],
  { error: 'must be { "kind": "event", "event", "withinDays" } or { "kind": "segment-exit", "segment", "withinDays" }' },
);

const holdoutShare = z
  .number({ error: 'must be a number from 0 to 0.5' })
  .min(0, 'must be from 0 to 0.5')
  .max(CAMPAIGN_LIMITS.maxHoldoutShare, 'must be from 0 to 0.5');

const campaignFields = {
  name,
  kind: z.enum(CAMPAIGN_KINDS, { error: `must be one of ${CAMPAIGN_KINDS.join(', ')}` }),
  enabled: z.boolean({ error: 'must be true or false' }),
  audience: campaignAudienceSchema,
  message: campaignMessageSchema,
  schedule: campaignScheduleSchema,
  holdoutShare,
  goal: campaignGoalSchema,
};

export const campaignSchema = z.object({
  id: z.string().describe('"cmp_" + random'),
  ...campaignFields,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const campaignListSchema = z.object({ campaigns: z.array(campaignSchema) });

/** POST body: a campaign without id and times; left-out fields take their defaults. */
export const campaignInputSchema = storableBody(
  z.strictObject({
    ...campaignFields,
    kind: campaignFields.kind.default('custom'),
    enabled: campaignFields.enabled.default(false),
    schedule: campaignScheduleSchema.default({ startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 }),
    holdoutShare: holdoutShare.default(CAMPAIGN_LIMITS.defaultHoldoutShare),
  }),
);

/** PATCH body: any subset of the top-level fields; a nested object given is replaced whole. */
export const campaignPatchSchema = storableBody(z.strictObject(campaignFields).partial());

export const campaignParamsSchema = z.object({ campaignId: idParamSchema() });

export const MESSAGE_REASONS = [
  'eligible',
  'unknown_user',
  'no_campaign',
  'holdout',
  'user_contacted_recently',
  'account_daily_limit',
] as const;

export const PREVIEW_REASONS = [
  'eligible',
  'unknown_user',
  'not_in_audience',
  'trait_mismatch',
  'not_started',
  'ended',
  'frequency_cap',
  'missing_fact',
] as const;

export const messageQuerySchema = widgetUserQuerySchema;

export const widgetMessageSchema = z.object({
  campaignId: z.string(),
  kind: z.enum(CAMPAIGN_KINDS),
  format: z.enum(MESSAGE_FORMATS),
  title: z.string().describe('placeholders filled; plain text (render with textContent)'),
  body: z.string().describe('placeholders filled; plain text (render with textContent)'),
  cta: campaignCtaSchema.nullable(),
});

export const messageAnswerSchema = z.object({
  show: z.boolean().describe('true: show the message now (the service has counted it as a contact)'),
  reason: z.enum(MESSAGE_REASONS).describe('"eligible" when show is true, else why not'),
  message: widgetMessageSchema.nullable(),
});

export const campaignPreviewQuerySchema = z.object({ userId: idParamSchema().describe('the user to preview the campaign as') });

export const campaignPreviewSchema = z.object({
  eligible: z.boolean().describe('whether the user would get this campaign, the ledger, the holdout and `enabled` aside'),
  reason: z.enum(PREVIEW_REASONS),
  message: widgetMessageSchema.nullable().describe('the message filled for this user (also when not eligible); null when the user is unknown or a placeholder has no value for them'),
});

const rate = z.number().nullable().describe('converted ÷ users; null with no users');

export const campaignResultsSchema = z.object({
  campaignId: z.string(),
  goal: campaignGoalSchema,
  exposed: z.object({
    users: z.number().int().describe('users assigned to see the message (shown it by the widget API)'),
    shown: z.number().int().describe('of them, users who sent $message_shown'),
    clicked: z.number().int().describe('of them, users who sent $message_clicked'),
    dismissed: z.number().int().describe('of them, users who sent $message_dismissed'),
    converted: z.number().int().describe('of them, users who reached the goal within goal.withinDays of assignment'),
    rate,
  }),
  holdout: z.object({
    users: z.number().int().describe('users held out (never shown), recorded when they would have been shown'),
    converted: z.number().int(),
    rate,
  }),
  lift: z.number().nullable().describe('exposed.rate − holdout.rate (absolute); null when a group is empty'),
  relativeLift: z.number().nullable().describe('lift ÷ holdout.rate; null when the holdout rate is 0 or a group is empty'),
  confidenceInterval: z
    .object({ level: z.literal(0.95), low: z.number(), high: z.number() })
    .nullable()
    .describe('Newcombe hybrid score interval of the lift (docs/campaigns.md); null when a group is empty'),
});

export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export type CampaignPlaceholder = (typeof CAMPAIGN_PLACEHOLDERS)[number];
export type TraitCondition = z.output<typeof traitConditionSchema>;
export type Campaign = z.output<typeof campaignSchema>;
export type CampaignInput = z.input<typeof campaignInputSchema>;
export type CampaignPatch = z.input<typeof campaignPatchSchema>;
export type CampaignGoal = z.output<typeof campaignGoalSchema>;
export type CampaignMessageTemplate = z.output<typeof campaignMessageSchema>;
export type CampaignSchedule = z.output<typeof campaignScheduleSchema>;
export type CampaignAudience = z.output<typeof campaignAudienceSchema>;
export type MessageQuery = z.input<typeof messageQuerySchema>;
export type WidgetMessage = z.output<typeof widgetMessageSchema>;
export type MessageAnswer = z.output<typeof messageAnswerSchema>;
export type MessageReasonCode = (typeof MESSAGE_REASONS)[number];
export type CampaignPreview = z.output<typeof campaignPreviewSchema>;
export type PreviewReasonCode = (typeof PREVIEW_REASONS)[number];
export type CampaignResults = z.output<typeof campaignResultsSchema>;
