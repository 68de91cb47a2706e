import type { z } from 'zod';
import type {
  groupsQuerySchema,
  retentionQuerySchema,
  scoreModelCompareQuerySchema,
  accountListQuerySchema,
  accountListSchema,
  accountUsersQuerySchema,
  accountUsersSchema,
  accountScoreSchema,
  activeMetricsSchema,
  batchResponseSchema,
  dateRangeQuerySchema,
  eventSchema,
  groupEventSchema,
  identifyEventSchema,
  newScoreModelSchema,
  npsAnswerSchema,
  pageEventSchema,
  rankedAccountSchema,
  rankedAccountsSchema,
  rankedScoresQuerySchema,
  rankedUserSchema,
  rankedUsersSchema,
  scoreModelListSchema,
  scoreModelSchema,
  scoreQuerySchema,
  asOfQuerySchema,
  trackEventSchema,
  userScoreSchema,
  utilisationSchema,
  memberSegmentsSchema,
  newSegmentSchema,
  segmentConditionSchema,
  segmentListSchema,
  segmentMembersQuerySchema,
  segmentMembersSchema,
  segmentSchema,
  segmentSettingsSchema,
  segmentSettingsUpdateSchema,
  segmentUpdateSchema,
  segmentChangesQuerySchema,
  segmentChangesSchema,
  segmentHistoryQuerySchema,
  memberSegmentHistorySchema,
  segmentTransitionSchema,
} from '@uptake/protocol';

// Every type here is derived from the zod schemas the service validates and serialises with, so
// the client and the routes cannot drift apart. Types only: nothing of zod or @uptake/protocol is
// loaded at run time (`import type` is erased).

// ── Query parameters: the values the route reads (the schemas' output side), all optional ──
// (The input side of `z.coerce.number()` is `unknown`, which would accept anything.)

/** `asOf`: the UTC day (`YYYY-MM-DD`) a figure is computed as of; default today. */
export type AsOfQuery = Partial<z.output<typeof asOfQuerySchema>>;
/** `asOf` and `model` (score model version; default the active one). */
export type ScoreQuery = Partial<z.output<typeof scoreQuerySchema>>;
/** `asOf`, `model`, `limit` (1–1000, default 50), `cursor` (a previous `nextCursor`), `order` (`desc` | `asc`). */
export type RankedScoresQuery = Partial<z.output<typeof rankedScoresQuerySchema>>;
/** `from`, `to` (UTC days), `accountId`, `asOf`. */
export type DateRangeQuery = Partial<z.output<typeof dateRangeQuerySchema>> & AsOfQuery;
/** `asOf`, `model`, `limit` (1–1000, default 100), `cursor` (a previous `nextCursor`). */
export type SegmentMembersQuery = Partial<z.output<typeof segmentMembersQuerySchema>>;
/** `asOf`, `model`, `limit` (1–500, default 50), `cursor`, `sort` (`score` | `utilisation` | `name` | `activeUsers30d` | `lastActive` | `health`), `order` (`desc` | `asc`), `q` (part of the accountId or name), `band` (`red` | `yellow` | `green`). */
export type AccountListQuery = Partial<z.output<typeof accountListQuerySchema>>;
/** `asOf`, `model`, `limit` (1–500, default 100), `cursor` (a previous `nextCursor`). */
export type AccountUsersQuery = Partial<z.output<typeof accountUsersQuerySchema>>;
/** `trait` (a user trait, default `role`), `asOf`, `model`. */
export type GroupsQuery = Partial<z.output<typeof groupsQuerySchema>>;
/** `by` (`week` | `month`, default `week`), `from`, `to` (at most 400 days; default 84 or 183 days to today), `accountId`. */
export type RetentionQuery = Partial<z.output<typeof retentionQuerySchema>>;
/** `a` and `b` (the two model versions), `asOf`, `of` (`users` | `accounts`, default `users`), `limit` (movers each way, 1–100, default 10). */
export type ScoreModelCompareQuery = Pick<z.output<typeof scoreModelCompareQuerySchema>, 'a' | 'b'> & Partial<Omit<z.output<typeof scoreModelCompareQuerySchema>, 'a' | 'b'>>;
/** A new score model version (POST /v1/score-models). */
export type NewScoreModel = z.input<typeof newScoreModelSchema>;

// ── Answers (what the service sends: the schemas' output side) ─────────────────────────────

export type UserScore = z.output<typeof userScoreSchema>;
export type AccountScore = z.output<typeof accountScoreSchema>;
export type RankedUser = z.output<typeof rankedUserSchema>;
export type RankedAccount = z.output<typeof rankedAccountSchema>;
export type RankedUsers = z.output<typeof rankedUsersSchema>;
export type RankedAccounts = z.output<typeof rankedAccountsSchema>;
export type ActiveMetrics = z.output<typeof activeMetricsSchema>;
export type Utilisation = z.output<typeof utilisationSchema>;
export type NpsAnswer = z.output<typeof npsAnswerSchema>;
export type ScoreModel = z.output<typeof scoreModelSchema>;
export type ScoreModelList = z.output<typeof scoreModelListSchema>;
export type BatchResponse = z.output<typeof batchResponseSchema>;
export type Segment = z.output<typeof segmentSchema>;
export type SegmentList = z.output<typeof segmentListSchema>;
export type SegmentMembers = z.output<typeof segmentMembersSchema>;
/** One member of a segment: an account's or a user's facts. */
export type SegmentMember = SegmentMembers['items'][number];
export type MemberSegments = z.output<typeof memberSegmentsSchema>;
export type SegmentSettings = z.output<typeof segmentSettingsSchema>;
export type AccountList = z.output<typeof accountListSchema>;
/** One row of the accounts table. */
export type AccountListItem = AccountList['items'][number];
export type AccountUsers = z.output<typeof accountUsersSchema>;
/** One user of an account. */
export type AccountUser = AccountUsers['items'][number];

/** `since`, `until` (UTC days; default the 30 days to today), `limit` (1–1000, default 100), `cursor`. */
export type SegmentChangesQuery = Partial<z.output<typeof segmentChangesQuerySchema>>;
/** `limit` (1–1000, default 100), `cursor` (a previous `nextCursor`). */
export type SegmentHistoryQuery = Partial<z.output<typeof segmentHistoryQuerySchema>>;
/** One recorded transition: a baseline member, an entry or an exit, with its day and facts (docs/plays.md). */
export type SegmentTransition = z.output<typeof segmentTransitionSchema>;
export type SegmentChanges = z.output<typeof segmentChangesSchema>;
export type MemberSegmentHistory = z.output<typeof memberSegmentHistorySchema>;

// ── Custom segments (what the caller writes) ────────────────────────────────────────────────

/** One condition of a custom segment's rule, e.g. `{ field: 'score', op: 'gte', value: 50 }`. */
export type SegmentConditionInput = z.input<typeof segmentConditionSchema>;
/** A custom segment's rule: a condition, or `{ all: [...] }`, `{ any: [...] }`, `{ not: rule }`. */
export type SegmentRuleInput = SegmentConditionInput | { all: readonly SegmentRuleInput[] } | { any: readonly SegmentRuleInput[] } | { not: SegmentRuleInput };
/** `POST /v1/segments`. The schema takes the rule as any object and checks it in a refinement, so its type is spelled out here. */
export type NewSegment = Omit<z.input<typeof newSegmentSchema>, 'rule'> & { rule: SegmentRuleInput };
/** `PUT /v1/segments/:key`: the whole segment but its key. */
export type SegmentUpdate = Omit<z.input<typeof segmentUpdateSchema>, 'rule'> & { rule: SegmentRuleInput };
/** `PUT /v1/segments/settings`: thresholds that differ from the defaults (the others go back to the default). */
export type SegmentSettingsUpdate = z.input<typeof segmentSettingsUpdateSchema>;

// ── Project settings and keys (docs/security.md) ──

export type { Group, Groups, Retention, RetentionCohort, ScoreModelComparison } from '@uptake/protocol';
export type { KeyKind, KeyRotation, KeyRotationInput, ProjectInfo, ProjectSettingsUpdate } from '@uptake/protocol';

// ── Webhooks (docs/webhooks.md) ──

export type {
  CreatedWebhook,
  NewWebhook,
  SecretRotation,
  SecretRotationInput,
  Webhook,
  WebhookDeliveries,
  WebhookDeliveriesQuery,
  WebhookDelivery,
  WebhookList,
  WebhookSend,
  WebhookUpdate,
} from '@uptake/protocol';

// ── Deletion (docs/privacy.md) ──

export type { DeletionReceipt } from '@uptake/protocol';

/** Options of `deleteUser` / `deleteAccount`. */
export type DeletionOptions = {
  /** The id may send events again afterwards (default false: its events are refused with reason `deleted`). */
  allowReturn?: boolean;
};
// ── Export (docs/privacy.md) ──

export type { EventsExportQuery, ExportedEvent, ExportFormat, UserExportKind, UserExportRecord } from '@uptake/protocol';

// ── Events (what a sender writes: the input side, so ids may be numbers, fields may be null) ──

/** Any event of protocol v1; `messageId` is made by the client when missing. */
export type EventInput = z.input<typeof eventSchema>;

/** An event without its `type`, which the helper (`track`, `identify` …) sets. */
type WithoutType<Event> = { [Key in keyof Event as Key extends 'type' ? never : Key]: Event[Key] };

/** `track`: `event` (name), `properties`; `userId` and/or `anonymousId`. */
export type TrackMessage = WithoutType<z.input<typeof trackEventSchema>>;
/** `identify`: `traits` (email, name, role, isChampion, createdAt …). */
export type IdentifyMessage = WithoutType<z.input<typeof identifyEventSchema>>;
/** `group`: `groupId` (the account id), `traits` (name, plan, seats, onboardedAt, trial …). */
export type GroupMessage = WithoutType<z.input<typeof groupEventSchema>>;
/** `page`: `name`, `properties`. */
export type PageMessage = WithoutType<z.input<typeof pageEventSchema>>;
