import { z } from 'zod';
import { EXAMPLE_ACCOUNT_ID, EXAMPLE_SEGMENT_KEY, EXAMPLE_SEGMENT_RULE, EXAMPLE_USER_ID } from './examples.ts';
import { findUnstorableValue, stringProblem } from './storable.ts';

/**
 * Query API (secret key): request parameters and answers. The service validates with these
 * schemas and `@uptake/client` derives its types from them, so both always agree.
 */

/**
 * The UTC days a query may name: from `earliest` to `daysAfterToday` days after today, today taken
 * when the request is validated (a long-running service moves with the calendar). Figures before
 * 2000 or far ahead mean nothing and would only cost work.
 */
export const QUERY_DAY_RANGE = { earliest: '2000-01-01', daysAfterToday: 2 } as const;

/** The last day a query may name, as of `now`. */
export function latestQueryDay(now: Date = new Date()): string {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + QUERY_DAY_RANGE.daysAfterToday);
  return new Date(day).toISOString().slice(0, 10);
}

/** Why `day` (a valid `YYYY-MM-DD`) is outside {@link QUERY_DAY_RANGE}; undefined when inside. */
export function queryDayProblem(day: string, now: Date = new Date()): string | undefined {
  const latest = latestQueryDay(now);
  // Four-digit years: the text order is the calendar order.
  if (day >= QUERY_DAY_RANGE.earliest && day <= latest) return undefined;
  return `must be a day from ${QUERY_DAY_RANGE.earliest} to ${latest} (today + ${QUERY_DAY_RANGE.daysAfterToday} days, UTC)`;
}

const isoDay = z.iso.date({ error: 'must be a date YYYY-MM-DD' }).superRefine((day, ctx) => {
  const problem = queryDayProblem(day);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A UTC day a query parameter names (`YYYY-MM-DD`, within {@link QUERY_DAY_RANGE}). */
export const queryDaySchema = isoDay;

/**
 * An id or key in a path or query string (userId, accountId, segment key …): 1 to `max`
 * characters that Postgres text can hold, so a NUL or a lone surrogate is a 400 naming the
 * parameter, never a database error.
 */
export const idParamSchema = (max = 200) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .superRefine((text, ctx) => {
      const problem = stringProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * A request body Postgres can store: no NUL and no lone surrogate in any string or key, refused
 * with the path where it is (a settings or definition body, as ingestion does for events).
 */
export const storableBody = <T extends z.ZodType>(schema: T) =>
  schema.superRefine((value, ctx) => {
    const problem = findUnstorableValue(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path === '(root)' ? [] : [problem.path] });
  });

export const userParamsSchema = z.object({ userId: idParamSchema().meta({ examples: [EXAMPLE_USER_ID] }) });
export const accountParamsSchema = z.object({ accountId: idParamSchema().meta({ examples: [EXAMPLE_ACCOUNT_ID] }) });

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
  accountId: idParamSchema().optional(),
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

export const newScoreModelSchema = storableBody(
  z.object({
    features: z
      .record(z.string().min(1).max(200), scoreFeatureSchema)
      .refine((features) => Object.keys(features).length > 0, 'must name at least one feature')
      .meta({ examples: [{ 'Report Created': { weight: 2, label: 'Reports' }, Export: { weight: 5, label: 'Exports' } }] }),
    windowDays: z.number().int().min(1).max(365).default(30),
    dailyCap: z.number().int().min(1).max(100_000).default(20),
    activate: z.boolean().default(true).describe('false: keep it as a shadow model, queryable with ?model='),
  }),
);

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

// ————————————————————————————————————————————————————————— segments (docs/api.md, Definitions)

const segmentKind = z.enum(['accounts', 'users'], { error: 'must be accounts or users' });
const day = z.string().describe('UTC day YYYY-MM-DD');

/** Per-project thresholds of the built-in segments; every one has its default in docs/api.md, Segments. */
export const segmentThresholdsSchema = z.strictObject({
  postOnboardingFirstSeenDays: z.number().int().min(1).max(3650).describe('post-onboarding: first seen at least this many days ago (30)'),
  lowUtilisation: z.number().min(0).max(100).describe('low-utilization: utilisation strictly below this ratio (0.6)'),
  risingUtilisationChange: z.number().min(-1).max(100).describe('rising-utilization: utilisation ÷ utilisation 30 days ago − 1 strictly above (0.1)'),
  usageDropRatio: z.number().min(0).max(100).describe('usage-drop: active user-days of the last period ≤ this share of the period before (0.7)'),
  usageDropPeriodDays: z.number().int().min(1).max(180).describe('usage-drop: length of each period (30)'),
  weeklyActiveWeeks: z.number().int().min(1).max(26).describe('weekly-active: active in each of this many 7-day blocks ending at asOf (4)'),
  topShare: z.number().gt(0).max(1).describe('top: this share of accounts, rounded up (0.1)'),
  lowEngagementOnboardedFromDays: z.number().int().min(0).max(3650).describe('low-engagement-after-onboarding: onboarded at most this many days ago (60)…'),
  lowEngagementOnboardedToDays: z.number().int().min(0).max(3650).describe('…and at least this many days ago (30)'),
  lowEngagementMaxPercentile: z.number().min(0).max(100).describe('…and percentile ≤ this (25)'),
  championQuietDays: z.number().int().min(1).max(365).describe('champion-disengaged: a champion with no activity in this many days (14)'),
  trialReadyPercentRank: z.number().min(0).max(1).describe('trial-ready: percent_rank of the score among trial accounts ≥ this (0.75)'),
  expansionUtilisation: z.number().min(0).max(100).describe('expansion-ready: utilisation ≥ this ratio (0.9)'),
  newUserDays: z.number().int().min(1).max(365).describe('new-users: first seen within this many days ending at asOf (7)'),
  dormantQuietDays: z.number().int().min(1).max(365).describe('dormant: no activity in this many days ending at asOf (14)…'),
  dormantLookbackDays: z.number().int().min(1).max(365).describe('…and some in this many days before them (30)'),
  featureUnusedActiveDays: z.number().int().min(1).max(365).describe('feature-unused: active within this many days ending at asOf (30)'),
  npsWindowDays: z.number().int().min(1).max(3650).describe('nps-*: latest response within this many days ending at asOf (90)'),
});

/** `PUT /v1/segments/settings`: the thresholds that differ from the defaults (omitted ones go back to the default). */
export const segmentSettingsUpdateSchema = z.strictObject({
  thresholds: segmentThresholdsSchema.partial().default({}),
});
export const segmentSettingsSchema = z.object({
  thresholds: segmentThresholdsSchema.describe('in effect: the defaults with this project’s overrides'),
  overrides: segmentThresholdsSchema.partial().describe('what this project changed'),
  defaults: segmentThresholdsSchema,
});

/** Numeric fields a custom rule can compare; which apply depends on `of`. */
export const accountRuleNumberFields = [
  'score', 'percentile', 'utilisation', 'utilisation30dAgo', 'utilisationChange', 'seats', 'activeUsers30d',
  'activeUserDays', 'memberCount', 'daysSinceFirstSeen', 'daysSinceLastActive', 'daysSinceOnboarded', 'nps',
] as const;
export const userRuleNumberFields = ['score', 'percentile', 'daysSinceFirstSeen', 'daysSinceLastActive', 'nps', 'accountCount'] as const;
const numberOps = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
const ruleScalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const segmentNumberConditionSchema = z.strictObject({
  field: z.enum([...new Set([...accountRuleNumberFields, ...userRuleNumberFields])]),
  op: z.enum([...numberOps, 'exists'], { error: 'must be one of eq, ne, gt, gte, lt, lte, exists' }),
  value: z.union([z.number(), z.boolean()], { error: 'must be a number (a boolean for exists)' }),
});
export const segmentFeatureConditionSchema = z.strictObject({
  field: z.literal('featureCount'),
  event: z.string().min(1).max(200).describe('a track event name'),
  days: z.number().int().min(1).max(365).default(30).describe('window ending at asOf (30)'),
  op: z.enum(numberOps, { error: 'must be one of eq, ne, gt, gte, lt, lte' }),
  value: z.number(),
});
export const segmentNpsCategoryConditionSchema = z.strictObject({
  field: z.literal('npsCategory'),
  op: z.enum(['eq', 'ne', 'in', 'exists'], { error: 'must be one of eq, ne, in, exists' }),
  value: z.union([z.enum(['promoter', 'passive', 'detractor']), z.array(z.enum(['promoter', 'passive', 'detractor'])).min(1), z.boolean()], {
    error: 'must be promoter, passive or detractor (a list for in, a boolean for exists)',
  }),
});
export const segmentTraitConditionSchema = z.strictObject({
  field: z.literal('trait'),
  name: z.string().min(1).max(200),
  op: z.enum([...numberOps, 'in', 'exists'], { error: 'must be one of eq, ne, gt, gte, lt, lte, in, exists' }),
  value: z.union([ruleScalar, z.array(ruleScalar).min(1).max(1000)], { error: 'must be a string, number, boolean or null (a list for in)' }),
});
export const segmentConditionSchema = z.discriminatedUnion(
  'field',
  [segmentNumberConditionSchema, segmentFeatureConditionSchema, segmentNpsCategoryConditionSchema, segmentTraitConditionSchema],
  { error: 'field: must be a known field (score, percentile, utilisation, … featureCount, npsCategory, trait)' },
);
export type SegmentCondition = z.output<typeof segmentConditionSchema>;
export type SegmentRule = SegmentCondition | { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule };

export const SEGMENT_RULE_LIMITS = { maxDepth: 6, maxConditions: 100, maxBranches: 50 } as const;

type RuleProblem = { path: Array<string | number>; message: string };

/** The first thing wrong with a rule for segments `of` a kind, with its path inside the rule; null when fine. */
export function segmentRuleProblem(rule: unknown, of: 'accounts' | 'users'): RuleProblem | null {
  let conditions = 0;
  const walk = (node: unknown, path: Array<string | number>, depth: number): RuleProblem | null => {
    if (depth > SEGMENT_RULE_LIMITS.maxDepth) return { path, message: `rules nest at most ${SEGMENT_RULE_LIMITS.maxDepth} deep` };
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return { path, message: 'must be an object: a condition, { all: [...] }, { any: [...] } or { not: {...} }' };
    const record = node as Record<string, unknown>;
    for (const combinator of ['all', 'any'] as const) {
      if (!(combinator in record)) continue;
      if (Object.keys(record).length !== 1) return { path, message: `${combinator}: must be the only key of its object` };
      const list = record[combinator];
      if (!Array.isArray(list) || list.length === 0 || list.length > SEGMENT_RULE_LIMITS.maxBranches) {
        return { path: [...path, combinator], message: `must be a list of 1 to ${SEGMENT_RULE_LIMITS.maxBranches} rules` };
      }
      for (const [index, child] of list.entries()) {
        const problem = walk(child, [...path, combinator, index], depth + 1);
        if (problem) return problem;
      }
      return null;
    }
    if ('not' in record) {
      if (Object.keys(record).length !== 1) return { path, message: 'not: must be the only key of its object' };
      return walk(record['not'], [...path, 'not'], depth + 1);
    }
    if (++conditions > SEGMENT_RULE_LIMITS.maxConditions) return { path, message: `a rule has at most ${SEGMENT_RULE_LIMITS.maxConditions} conditions` };
    const parsed = segmentConditionSchema.safeParse(node);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { path: [...path, ...(issue.path as Array<string | number>)], message: issue.message };
    }
    const condition = parsed.data;
    if (condition.field === 'npsCategory' && of !== 'users') return { path: [...path, 'field'], message: 'npsCategory is a field of user segments' };
    if (condition.field !== 'featureCount' && condition.field !== 'npsCategory' && condition.field !== 'trait') {
      const allowed: readonly string[] = of === 'accounts' ? accountRuleNumberFields : userRuleNumberFields;
      if (!allowed.includes(condition.field)) return { path: [...path, 'field'], message: `${condition.field} is not a field of ${of} segments (use one of ${allowed.join(', ')}, featureCount, trait${of === 'users' ? ', npsCategory' : ''})` };
    }
    const wantsBoolean = condition.op === 'exists';
    const value = condition.value as unknown;
    if (condition.field !== 'trait' || wantsBoolean) {
      if (wantsBoolean && typeof value !== 'boolean') return { path: [...path, 'value'], message: 'must be true or false for exists' };
      if (!wantsBoolean && typeof value === 'boolean') return { path: [...path, 'value'], message: `must not be a boolean for ${condition.op}` };
    }
    if (condition.op === 'in' && !Array.isArray(value)) return { path: [...path, 'value'], message: 'must be a list for in' };
    if (condition.op !== 'in' && Array.isArray(value)) return { path: [...path, 'value'], message: `must not be a list for ${condition.op}` };
    return null;
  };
  return walk(rule, [], 1);
}

/**
 * A custom segment's rule: a condition, or `{ all: [...] }`, `{ any: [...] }`, `{ not: rule }`.
 * Validated by {@link segmentRuleProblem}, so a bad rule is answered with the JSON path inside it.
 */
export const segmentRuleSchema = (z.looseObject({}, { error: 'must be an object' }) as unknown as z.ZodType<SegmentRule>).meta({
    description:
    'A condition ({ field, op, value } with field score|percentile|utilisation|utilisation30dAgo|utilisationChange|seats|activeUsers30d|activeUserDays|memberCount|daysSinceFirstSeen|daysSinceLastActive|daysSinceOnboarded|nps|accountCount — nps: for users the latest response (0–10), for accounts their NPS (−100…100), both over npsWindowDays; { field: "featureCount", event, days?, op, value }; { field: "npsCategory", op, value }; { field: "trait", name, op, value }) or { all: [rules] }, { any: [rules] }, { not: rule }. Ops: eq, ne, gt, gte, lt, lte, in, exists.',
});

const segmentKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, - and _, starting with a letter or digit');

const withRuleCheck = <T extends z.ZodType<{ of: 'accounts' | 'users'; rule: unknown }>>(schema: T) =>
  storableBody(schema).superRefine((value, ctx) => {
    const problem = segmentRuleProblem(value.rule, value.of);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: ['rule', ...problem.path] });
  });

/** `POST /v1/segments`. */
export const newSegmentSchema = withRuleCheck(
  z.strictObject({
    key: segmentKeySchema.describe('unique in the project; not a built-in key'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    of: segmentKind,
    rule: segmentRuleSchema,
  }),
).meta({ examples: [{ key: EXAMPLE_SEGMENT_KEY, name: 'At risk', of: 'accounts', rule: EXAMPLE_SEGMENT_RULE }] });
/** `PUT /v1/segments/:key`: replaces the segment (the key stays). */
export const segmentUpdateSchema = withRuleCheck(
  z.strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    of: segmentKind,
    rule: segmentRuleSchema,
  }),
).meta({ examples: [{ name: 'At risk', of: 'accounts', rule: EXAMPLE_SEGMENT_RULE }] });

export const segmentSchema = z.object({
  key: z.string(),
  name: z.string(),
  of: segmentKind,
  description: z.string(),
  builtIn: z.boolean(),
  rule: segmentRuleSchema.nullable().describe('custom segments: the rule; null for built-ins'),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export const segmentListSchema = z.object({
  segments: z.array(segmentSchema).describe('built-in first (feature-unused:<event> once per feature the active score model names), then custom by key'),
  thresholds: segmentThresholdsSchema.describe('built-in thresholds in effect (see /v1/segments/settings)'),
});

export const segmentMembersQuerySchema = scoreQuerySchema.extend({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(100),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
});

export const accountSegmentFactsSchema = z.object({
  accountId: z.string(),
  firstSeen: day,
  lastActive: day.nullable(),
  onboardedAt: day.nullable().describe('UTC day of the onboardedAt trait'),
  trial: z.boolean().describe('trait trial === true'),
  score: z.number(),
  percentile: z.number().int(),
  seats: z.number().nullable(),
  activeUsers30d: z.number().int(),
  utilisation: z.number().nullable(),
  utilisation30dAgo: z.number().nullable(),
  utilisationChange: z.number().nullable(),
  activeUserDays: z.number().int().describe('active user-days in the last usageDropPeriodDays'),
  activeUserDaysBefore: z.number().int().describe('…and in the same period before'),
  activeWeeks: z.array(z.boolean()).describe('newest first: some user active in each 7-day block ending at asOf'),
  memberCount: z.number().int(),
  quietChampions: z.array(z.string()).describe('champions with no activity in the account in the last championQuietDays'),
  nps: z.number().int().nullable().describe("the account's NPS over the npsWindowDays ending at asOf (as GET /v1/nps?accountId answers); null without responses"),
  npsResponses: z.number().int().describe('responses counted in nps (the latest per user)'),
});
export const userSegmentFactsSchema = z.object({
  userId: z.string(),
  firstSeen: day,
  lastActive: day.nullable(),
  score: z.number(),
  percentile: z.number().int(),
  accounts: z.array(z.string()),
  nps: z.number().int().nullable().describe('latest NPS response in the npsWindowDays ending at asOf'),
  npsCategory: z.enum(['promoter', 'passive', 'detractor']).nullable(),
});

const segmentRefSchema = z.object({ key: z.string(), name: z.string(), of: segmentKind, builtIn: z.boolean() });
export const segmentMembersSchema = z.object({
  segment: segmentRefSchema,
  asOf: day,
  model: scoreModelRefSchema,
  items: z.array(z.union([accountSegmentFactsSchema, userSegmentFactsSchema])).describe('members by id, each with the facts that put it there'),
  nextCursor: z.string().nullable(),
});
export const memberSegmentsSchema = z.object({
  id: z.string().describe('the userId or accountId'),
  of: segmentKind,
  asOf: day,
  model: scoreModelRefSchema,
  segments: z.array(segmentRefSchema).describe('by key; feature-unused:<event> for the features the score model names (none under version 1)'),
  facts: z.union([accountSegmentFactsSchema, userSegmentFactsSchema]),
});

export type SegmentThresholds = z.output<typeof segmentThresholdsSchema>;
export type SegmentSettings = z.output<typeof segmentSettingsSchema>;
export type SegmentSettingsUpdate = z.input<typeof segmentSettingsUpdateSchema>;
export type Segment = z.output<typeof segmentSchema>;
export type SegmentList = z.output<typeof segmentListSchema>;
export type NewSegment = z.input<typeof newSegmentSchema>;
export type SegmentUpdate = z.input<typeof segmentUpdateSchema>;
export type SegmentMembersQuery = z.input<typeof segmentMembersQuerySchema>;
export type SegmentMembers = z.output<typeof segmentMembersSchema>;
export type MemberSegments = z.output<typeof memberSegmentsSchema>;
export type AccountSegmentFacts = z.output<typeof accountSegmentFactsSchema>;
export type UserSegmentFacts = z.output<typeof userSegmentFactsSchema>;

// ————————————————————————————————————————————————————————— accounts table (built from the segment facts)

export const accountListSortFields = ['score', 'utilisation', 'name', 'activeUsers30d', 'lastActive', 'health'] as const;
const accountHealthBand = z.enum(['red', 'yellow', 'green'], { error: 'must be red, yellow or green' });

/** `GET /v1/accounts`. */
export const accountListQuerySchema = scoreQuerySchema.extend({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500').default(50),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page (same sort and order)'),
  sort: z
    .enum(accountListSortFields, { error: `must be one of ${accountListSortFields.join(', ')}` })
    .default('score')
    .describe('name sorts case-insensitively; ties by accountId ascending; nulls last in both orders'),
  order: z.enum(['desc', 'asc'], { error: 'must be desc or asc' }).default('desc'),
  q: z.string().max(200).optional().describe('only accounts whose accountId or name contains this (case-insensitive)'),
  band: accountHealthBand.optional().describe('only accounts in this health band (under the active health model)'),
});

export const accountListItemSchema = z.object({
  accountId: z.string(),
  name: z.string().nullable().describe('the name trait as of asOf'),
  score: z.number(),
  percentile: z.number().int(),
  seats: z.number().nullable(),
  activeUsers30d: z.number().int(),
  utilisation: z.number().nullable().describe('activeUsers30d ÷ seats as a ratio; null when seats are unknown or 0'),
  utilisationChange: z.number().nullable().describe('utilisation ÷ utilisation 30 days earlier − 1'),
  nps: z.number().int().nullable().describe("the account's NPS over the npsWindowDays (90) ending at asOf, as GET /v1/nps?accountId answers"),
  npsResponses: z.number().int(),
  lastActive: day.nullable().describe('last day a member was active in the account'),
  memberCount: z.number().int().describe('users with an event belonging to the account (GET /v1/accounts/:accountId/users)'),
  segments: z.array(z.string()).describe('keys of the built-in and custom account segments it is in, by key'),
  health: z.number().int().nullable().describe('0–100 under the active health model, as GET /v1/accounts/:accountId/health'),
  healthBand: accountHealthBand.nullable(),
});

export const accountListSchema = z.object({
  model: scoreModelRefSchema,
  asOf: day,
  healthModel: z.object({ version: z.number().int() }).describe('the active health model the health column is computed under'),
  total: z.number().int().describe('accounts seen by asOf that match q (and band)'),
  items: z.array(accountListItemSchema),
  nextCursor: z.string().nullable(),
});

/** `GET /v1/accounts/:accountId/users`. */
export const accountUsersQuerySchema = scoreQuerySchema.extend({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500').default(100),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
});

export const accountUserSchema = z.object({
  userId: z.string(),
  name: z.string().nullable().describe('the user trait name as of asOf'),
  email: z.string().nullable().describe('the user trait email as of asOf'),
  score: z.number().describe('project-wide, as GET /v1/users/:userId/score'),
  percentile: z.number().int(),
  firstSeen: day,
  lastActive: day.nullable().describe('last active day, in any account'),
  nps: z.number().int().nullable().describe('latest NPS response (0–10) in the npsWindowDays (90) ending at asOf'),
  isChampion: z.boolean().describe('user trait isChampion === true'),
});

export const accountUsersSchema = z.object({
  accountId: z.string(),
  model: scoreModelRefSchema,
  asOf: day,
  items: z.array(accountUserSchema).describe('by score descending, then userId'),
  nextCursor: z.string().nullable(),
});

export type AccountListQuery = z.input<typeof accountListQuerySchema>;
export type AccountListItem = z.output<typeof accountListItemSchema>;
export type AccountList = z.output<typeof accountListSchema>;
export type AccountUsersQuery = z.input<typeof accountUsersQuerySchema>;
export type AccountUser = z.output<typeof accountUserSchema>;
export type AccountUsers = z.output<typeof accountUsersSchema>;
