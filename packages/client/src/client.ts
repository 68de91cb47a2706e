import { base64Utf8 } from './base64.ts';
import { splitBatch } from './batch-split.ts';
import { UptakeConfigError } from './errors.ts';
import { path, sendRequest, streamNdjson, type Fetch, type HttpRequest, type QueryParameters } from './http.ts';
import type {
  AccountList,
  AccountListItem,
  AccountListQuery,
  AccountScore,
  AccountUser,
  AccountUsers,
  AccountUsersQuery,
  Groups,
  GroupsQuery,
  Retention,
  RetentionQuery,
  ScoreModelCompareQuery,
  ScoreModelComparison,
  ActiveMetrics,
  AsOfQuery,
  BatchResponse,
  KeyRotation,
  KeyRotationInput,
  ProjectInfo,
  ProjectSettingsUpdate,
  DateRangeQuery,
  EventInput,
  EventsExportQuery,
  ExportedEvent,
  GroupMessage,
  IdentifyMessage,
  MemberSegmentHistory,
  MemberSegments,
  NewScoreModel,
  NewSegment,
  NpsAnswer,
  PageMessage,
  RankedAccount,
  RankedAccounts,
  RankedScoresQuery,
  RankedUser,
  RankedUsers,
  ScoreModel,
  ScoreModelList,
  ScoreQuery,
  Segment,
  SegmentChanges,
  SegmentChangesQuery,
  SegmentHistoryQuery,
  SegmentList,
  SegmentMember,
  SegmentMembers,
  SegmentMembersQuery,
  SegmentSettings,
  SegmentSettingsUpdate,
  SegmentTransition,
  SegmentUpdate,
  TrackMessage,
  UserExportRecord,
  UserScore,
  Utilisation,
  CreatedWebhook,
  DeletionOptions,
  DeletionReceipt,
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
} from './types.ts';
import type { AccountHealth, AccountScoreChanges, HealthModel, HealthModelList, HealthQuery, HealthSeries, HealthSeriesQuery, NewHealthModel, ScoreChangesQuery, UserScoreChanges } from './health-types.ts';

export type UptakeClientOptions = {
  /** Where the service answers, e.g. `https://uptake.example.com` (a base path is kept). */
  host: string;
  /** The project's secret key: needed by every query method (scores, accounts, metrics, NPS, models, segments). */
  secretKey?: string | undefined;
  /** The project's write key: needed by `sendBatch`, `track`, `identify`, `group` and `page`. */
  writeKey?: string | undefined;
  /** A `fetch` to send with (default: the global one). */
  fetch?: Fetch | undefined;
};

/** Options of `sendBatch`. */
export type SendBatchOptions = {
  /** The batch's send time (clock-skew correction); default: the time each request leaves. */
  sentAt?: Date | string | undefined;
};

/** The query API (secret key) and ingestion (write key) of one Uptake project. */
export type UptakeClient = {
  /**
   * A user's engagement score as of a day (default today), with its percentile, model version,
   * window and per-feature breakdown. `GET /v1/users/:userId/score`; 404 `user_not_found`.
   *
   * @example
   * const { score, percentile, breakdown } = await client.userScore('u1', { asOf: '2026-01-31' });
   */
  userScore(userId: string, query?: ScoreQuery): Promise<UserScore>;

  /**
   * An account's engagement score, plus `activeUsers`, `perActiveUser` and `topUsers`.
   * `GET /v1/accounts/:accountId/score`; 404 `account_not_found`.
   *
   * @example
   * const { score, activeUsers, topUsers } = await client.accountScore('acme', { model: 2 });
   */
  accountScore(accountId: string, query?: ScoreQuery): Promise<AccountScore>;

  /**
   * One page of users ranked by score. Pass the answer's `nextCursor` as `cursor` for the next
   * page (it is `null` on the last). `GET /v1/scores/users`.
   *
   * @example
   * const first = await client.userScores({ limit: 100, order: 'desc' });
   * const second = first.nextCursor ? await client.userScores({ limit: 100, cursor: first.nextCursor }) : undefined;
   */
  userScores(query?: RankedScoresQuery): Promise<RankedUsers>;

  /**
   * One page of accounts ranked by score. `GET /v1/scores/accounts`.
   *
   * @example
   * const { items, nextCursor } = await client.accountScores({ order: 'asc', limit: 20 });
   */
  accountScores(query?: RankedScoresQuery): Promise<RankedAccounts>;

  /**
   * Every ranked user, page after page (`limit` is the page size), fetched as you iterate.
   *
   * @example
   * for await (const { userId, score } of client.allUserScores({ asOf: '2026-01-31', limit: 500 })) {
   *   console.log(userId, score);
   * }
   */
  allUserScores(query?: Omit<RankedScoresQuery, 'cursor'>): AsyncIterableIterator<RankedUser>;

  /**
   * Every ranked account, page after page, fetched as you iterate.
   *
   * @example
   * const lowest = [];
   * for await (const account of client.allAccountScores({ order: 'asc' })) lowest.push(account);
   */
  allAccountScores(query?: Omit<RankedScoresQuery, 'cursor'>): AsyncIterableIterator<RankedAccount>;

  /**
   * One page of the accounts table: every account seen by `asOf` with its name, score, percentile,
   * seats, utilisation, NPS, last active day, member count and segments; sorted by `sort` (default
   * `score`) in `order` (default `desc`), nulls last, ties by accountId; `q` keeps the accounts
   * whose id or name contains it. `total` counts the matching accounts. `GET /v1/accounts`.
   *
   * @example
   * const { total, items, nextCursor } = await client.accounts({ sort: 'utilisation', order: 'asc', q: 'acme', limit: 25 });
   */
  accounts(query?: AccountListQuery): Promise<AccountList>;

  /**
   * Every row of the accounts table, page after page (`limit` is the page size), fetched as you iterate.
   *
   * @example
   * for await (const { accountId, utilisation, segments } of client.allAccounts({ sort: 'utilisation' })) {
   *   if (segments.includes('low-utilization')) console.log(accountId, utilisation);
   * }
   */
  allAccounts(query?: Omit<AccountListQuery, 'cursor'>): AsyncIterableIterator<AccountListItem>;

  /**
   * One page of an account's users (everyone with an event belonging to it) by score, with their
   * name, email, project-wide score and percentile, first seen, last active, latest NPS answer and
   * champion flag. `GET /v1/accounts/:accountId/users`; 404 `account_not_found`.
   *
   * @example
   * const { items } = await client.accountUsers('acme', { asOf: '2026-01-31', limit: 20 });
   */
  accountUsers(accountId: string, query?: AccountUsersQuery): Promise<AccountUsers>;

  /**
   * Every user of an account, page after page, fetched as you iterate.
   *
   * @example
   * const champions = [];
   * for await (const user of client.allAccountUsers('acme')) if (user.isChampion) champions.push(user.email);
   */
  allAccountUsers(accountId: string, query?: Omit<AccountUsersQuery, 'cursor'>): AsyncIterableIterator<AccountUser>;

  /**
   * DAU, WAU, MAU and stickiness (DAU ÷ MAU) per UTC day, for the project or one account
   * (default: the 30 days to today; at most 400 days). `GET /v1/metrics/active`.
   *
   * @example
   * const { days } = await client.activeMetrics({ from: '2026-01-01', to: '2026-01-31', accountId: 'acme' });
   */
  activeMetrics(query?: DateRangeQuery): Promise<ActiveMetrics>;

  /**
   * Licence utilisation of an account: users active in 30 days ÷ seats, as a ratio (null when
   * seats are unknown), and its change over 30 days. `GET /v1/accounts/:accountId/utilisation`.
   *
   * @example
   * const { utilisation, seats, activeUsers30d } = await client.utilisation('acme');
   */
  utilisation(accountId: string, query?: AsOfQuery): Promise<Utilisation>;

  /**
   * Net Promoter Score over a window (default the 90 days to `asOf`), for the project or one
   * account, with the trend against the window 30 days earlier. `GET /v1/nps`.
   *
   * @example
   * const { nps, responses, trend } = await client.nps({ accountId: 'acme' });
   */
  nps(query?: DateRangeQuery): Promise<NpsAnswer>;

  /**
   * Every version of the project's score model (one `active`). `GET /v1/score-models`.
   *
   * @example
   * const { models } = await client.scoreModels();
   * const active = models.find((model) => model.status === 'active');
   */
  scoreModels(): Promise<ScoreModelList>;

  /**
   * Makes the next score model version: active, or a shadow one with `activate: false` (query it
   * with `{ model: version }`). `POST /v1/score-models`.
   *
   * @example
   * const model = await client.createScoreModel({
   *   features: { 'Report Created': { weight: 2, label: 'Reports' }, Export: { weight: 5, label: 'Exports' } },
   *   dailyCap: 10,
   * });
   */
  createScoreModel(model: NewScoreModel): Promise<ScoreModel>;

  /**
   * How two score model versions rank the same users (or accounts, `of: 'accounts'`) as of a day:
   * Spearman rank correlation (ties averaged), how many moved up, down or not, and the biggest
   * movers each way. `GET /v1/score-models/compare`; an unknown version is a 400 naming `a` or `b`.
   *
   * @example
   * const { spearman, up, down } = await client.compareScoreModels({ a: 1, b: 2, of: 'accounts' });
   */
  compareScoreModels(query: ScoreModelCompareQuery): Promise<ScoreModelComparison>;

  /**
   * An account's users grouped by a user trait (default `role`) as of a day: per group its users,
   * active users, score in the account, score per active user and top features; users without
   * the trait in a group with `value: null, missing: true`. `GET /v1/accounts/:accountId/groups`.
   *
   * @example
   * const { groups } = await client.accountGroups('acme', { trait: 'role' });
   */
  accountGroups(accountId: string, query?: GroupsQuery): Promise<Groups>;

  /**
   * Every user of the project grouped by a user trait (default `role`), as `accountGroups` does
   * for one account. `GET /v1/groups`.
   *
   * @example
   * const { groups } = await client.groups({ trait: 'plan', asOf: '2026-01-31' });
   */
  groups(query?: GroupsQuery): Promise<Groups>;

  /**
   * Retention cohorts: users by the ISO week (or month) they were first seen, and the share of
   * each cohort active in every later period, for the project or one account (at most 400 days).
   * `GET /v1/retention`.
   *
   * @example
   * const { cohorts } = await client.retention({ by: 'week', from: '2026-01-05', to: '2026-03-29' });
   */
  retention(query?: RetentionQuery): Promise<Retention>;

  /**
   * Every version of the project's health model (one `active`; version 1 without a write).
   * `GET /v1/health-models`.
   *
   * @example
   * const { models } = await client.healthModels();
   */
  healthModels(): Promise<HealthModelList>;

  /**
   * Makes the next health model version: active, or a shadow one with `activate: false` (query it
   * with `{ version }`). `POST /v1/health-models`.
   *
   * @example
   * await client.createHealthModel({ weights: { engagement: 40, utilisation: 30, nps: 10, trend: 10, champions: 5, breadth: 5 }, bands: { yellow: 45, green: 75 } });
   */
  createHealthModel(model: NewHealthModel): Promise<HealthModel>;

  /**
   * An account's health (0–100, its band) with each component's raw value, normalised value,
   * weight and contribution (the contributions add up to the score). `GET /v1/accounts/:accountId/health`.
   *
   * @example
   * const { score, band, components } = await client.accountHealth('acme', { asOf: '2026-03-31' });
   */
  accountHealth(accountId: string, query?: HealthQuery): Promise<AccountHealth>;

  /**
   * An account's health per day (at most 31 days). `GET /v1/accounts/:accountId/health/series`.
   *
   * @example
   * const { days } = await client.accountHealthSeries('acme', { from: '2026-03-01', to: '2026-03-31' });
   */
  accountHealthSeries(accountId: string, query?: HealthSeriesQuery): Promise<HealthSeries>;

  /**
   * Why an account's score changed from `from` to `to`: by feature (entered, left, restated) and by
   * user (who contributed how much, who stopped). `GET /v1/accounts/:accountId/score/changes`.
   *
   * @example
   * const { change, byFeature, byUser } = await client.accountScoreChanges('acme', { from: '2026-03-01', to: '2026-03-31' });
   */
  accountScoreChanges(accountId: string, query?: ScoreChangesQuery): Promise<AccountScoreChanges>;

  /**
   * Why a user's score changed from `from` to `to`, by feature. `GET /v1/users/:userId/score/changes`.
   *
   * @example
   * const { change, byFeature } = await client.userScoreChanges('u1');
   */
  userScoreChanges(userId: string, query?: ScoreChangesQuery): Promise<UserScoreChanges>;

  /**
   * Every segment of the project, built-in then custom, with the built-in thresholds in effect.
   * `GET /v1/segments`.
   *
   * @example
   * const { segments, thresholds } = await client.segments();
   * const custom = segments.filter((segment) => !segment.builtIn);
   */
  segments(): Promise<SegmentList>;

  /**
   * One page of a segment's members (accounts or users, each with the facts that put it there).
   * Built-in keys (`low-utilization`, `dormant`, `feature-unused:<event>` …) and custom ones.
   * `GET /v1/segments/:key/members`; 404 for an unknown key.
   *
   * @example
   * const { items, nextCursor } = await client.segmentMembers('low-utilization', { asOf: '2026-01-31', limit: 100 });
   */
  segmentMembers(key: string, query?: SegmentMembersQuery): Promise<SegmentMembers>;

  /**
   * Every member of a segment, page after page, fetched as you iterate.
   *
   * @example
   * for await (const member of client.allSegmentMembers('champion-disengaged')) {
   *   if ('accountId' in member) console.log(member.accountId, member.quietChampions);
   * }
   */
  allSegmentMembers(key: string, query?: Omit<SegmentMembersQuery, 'cursor'>): AsyncIterableIterator<SegmentMember>;

  /**
   * The segments a user is in, with the user's facts. `GET /v1/users/:userId/segments`.
   *
   * @example
   * const { segments, facts } = await client.userSegments('u1');
   * const dormant = segments.some((segment) => segment.key === 'dormant');
   */
  userSegments(userId: string, query?: ScoreQuery): Promise<MemberSegments>;

  /**
   * The segments an account is in, with the account's facts. `GET /v1/accounts/:accountId/segments`.
   *
   * @example
   * const { segments } = await client.accountSegments('acme', { asOf: '2026-01-31' });
   */
  accountSegments(accountId: string, query?: ScoreQuery): Promise<MemberSegments>;

  /**
   * One page of who entered and left a segment on some days (default the last 30), oldest first,
   * as the segment watcher recorded them (docs/plays.md). `GET /v1/segments/:key/changes`.
   *
   * @example
   * const { items } = await client.segmentChanges('low-utilization', { since: '2026-12-01' });
   * for (const change of items) console.log(change.kind, change.memberId, change.facts);
   */
  segmentChanges(key: string, query?: SegmentChangesQuery): Promise<SegmentChanges>;

  /**
   * Every entry and exit of a segment on some days, page after page, fetched as you iterate.
   *
   * @example
   * for await (const change of client.allSegmentChanges('dormant', { since: '2026-12-01' })) notify(change);
   */
  allSegmentChanges(key: string, query?: Omit<SegmentChangesQuery, 'cursor'>): AsyncIterableIterator<SegmentTransition>;

  /**
   * An account's segment history (baselines, entries, exits; oldest first) and the segments it is
   * in as last recorded. `GET /v1/accounts/:accountId/segments/history`.
   *
   * @example
   * const { current, items } = await client.accountSegmentHistory('acme');
   */
  accountSegmentHistory(accountId: string, query?: SegmentHistoryQuery): Promise<MemberSegmentHistory>;

  /**
   * A user's segment history, as for accounts. `GET /v1/users/:userId/segments/history`.
   *
   * @example
   * const { items } = await client.userSegmentHistory('u1', { limit: 20 });
   */
  userSegmentHistory(userId: string, query?: SegmentHistoryQuery): Promise<MemberSegmentHistory>;

  /**
   * Makes a custom segment from a rule over the same facts. `POST /v1/segments`; a bad rule is
   * a 400 whose `path` points inside it (`rule.all[1].value`).
   *
   * @example
   * await client.createSegment({
   *   key: 'power-users',
   *   name: 'Power users',
   *   of: 'users',
   *   rule: { all: [{ field: 'score', op: 'gte', value: 50 }, { field: 'featureCount', event: 'Export', op: 'gt', value: 0 }] },
   * });
   */
  createSegment(segment: NewSegment): Promise<Segment>;

  /**
   * Replaces a custom segment (its key stays). `PUT /v1/segments/:key`.
   *
   * @example
   * await client.updateSegment('power-users', { name: 'Power users', of: 'users', rule: { field: 'percentile', op: 'gte', value: 90 } });
   */
  updateSegment(key: string, segment: SegmentUpdate): Promise<Segment>;

  /**
   * Deletes a custom segment. `DELETE /v1/segments/:key`.
   *
   * @example
   * await client.deleteSegment('power-users');
   */
  deleteSegment(key: string): Promise<void>;

  /**
   * The built-in segments' thresholds: in effect, this project's overrides, and the defaults.
   * `GET /v1/segments/settings`.
   *
   * @example
   * const { thresholds } = await client.segmentSettings();
   * console.log(thresholds.lowUtilisation); // 0.6
   */
  segmentSettings(): Promise<SegmentSettings>;

  /**
   * Sets the thresholds that differ from the defaults (those left out go back to the default).
   * `PUT /v1/segments/settings`.
   *
   * @example
   * await client.updateSegmentSettings({ thresholds: { lowUtilisation: 0.5, championQuietDays: 21 } });
   */
  updateSegmentSettings(settings: SegmentSettingsUpdate): Promise<SegmentSettings>;

  /**
   * The project's settings and key ages: name, write key, allowed origins, `requireUserHash`,
   * when each key was made and which rotated-out keys still work. Never a secret. `GET /v1/project`.
   *
   * @example
   * const { allowedOrigins, keys } = await client.project();
   */
  project(): Promise<ProjectInfo>;

  /**
   * Changes the allowed origins (`[]`: any) and/or `requireUserHash`; fields left out stay.
   * `PATCH /v1/project`; 400 names an origin that is not `scheme://host[:port]`.
   *
   * @example
   * await client.updateProject({ allowedOrigins: ['https://app.acme.io'], requireUserHash: true });
   */
  updateProject(settings: ProjectSettingsUpdate): Promise<ProjectInfo>;

  /**
   * Replaces a key and answers the new one (shown this once); the old one keeps working for
   * `overlapHours` (default 24, 0: it stops at once). `POST /v1/project/keys/rotate`.
   *
   * @example
   * const { key } = await client.rotateKey({ kind: 'identity', overlapHours: 48 });
   */
  rotateKey(rotation: KeyRotationInput): Promise<KeyRotation>;

  /**
   * Makes a webhook endpoint and answers it with its `whsec_…` secret, shown this once (keep it
   * for `verifyWebhook`). `POST /v1/webhooks`; 400 names a bad field (a private `url` is refused).
   *
   * @example
   * const { id, secret } = await client.createWebhook({ url: 'https://crm.acme.io/uptake', events: ['segment.entered'], segments: ['low-utilization'] });
   */
  createWebhook(webhook: NewWebhook): Promise<CreatedWebhook>;

  /**
   * The project's webhook endpoints (never their secrets). `GET /v1/webhooks`.
   *
   * @example
   * const { webhooks } = await client.webhooks();
   * const disabled = webhooks.filter((w) => !w.enabled).map((w) => w.disabledReason);
   */
  webhooks(): Promise<WebhookList>;

  /** One webhook endpoint. `GET /v1/webhooks/:id`; 404 `webhook_not_found`. */
  webhook(id: string): Promise<Webhook>;

  /**
   * Changes an endpoint (fields left out stay); `enabled: true` re-enables one the service
   * disabled. `PATCH /v1/webhooks/:id`.
   *
   * @example
   * await client.updateWebhook(id, { enabled: true });
   */
  updateWebhook(id: string, update: WebhookUpdate): Promise<Webhook>;

  /** Deletes an endpoint and its delivery log. `DELETE /v1/webhooks/:id`. */
  deleteWebhook(id: string): Promise<void>;

  /**
   * A new signing secret (shown this once); the old one keeps signing too for `overlapHours`
   * (default 24). `POST /v1/webhooks/:id/secret/rotate`.
   *
   * @example
   * const { secret, previousSecretExpiresAt } = await client.rotateWebhookSecret(id, { overlapHours: 2 });
   */
  rotateWebhookSecret(id: string, rotation?: SecretRotationInput): Promise<SecretRotation>;

  /**
   * One page of an endpoint's delivery log, newest first: status, attempts, the receiver's last
   * status code, latency, error and next attempt. `GET /v1/webhooks/:id/deliveries`.
   *
   * @example
   * const { items } = await client.webhookDeliveries(id, { status: 'failed', limit: 20 });
   */
  webhookDeliveries(id: string, query?: WebhookDeliveriesQuery): Promise<WebhookDeliveries>;

  /** Every delivery of an endpoint, page after page, fetched as you iterate. */
  allWebhookDeliveries(id: string, query?: Omit<WebhookDeliveriesQuery, 'cursor'>): AsyncIterableIterator<WebhookDelivery>;

  /**
   * Sends a delivery again (same `webhook-id`) with a fresh retry schedule.
   * `POST /v1/webhooks/:id/deliveries/:messageId/redeliver`.
   */
  redeliverWebhook(id: string, messageId: string): Promise<WebhookSend>;

  /**
   * Sends a `webhook.test` message to the endpoint. `POST /v1/webhooks/:id/test`.
   *
   * @example
   * const { messageId } = await client.testWebhook(id);
   */
  testWebhook(id: string): Promise<WebhookSend>;

  /**
   * Deletes a user (docs/privacy.md): ids, traits and event details go; the figures stay under a
   * pseudonym; their events are refused afterwards unless `allowReturn`. Answers the receipt:
   * `status` 'completed' (200), or 'running' (202) for a long one: poll `deletion(deletionId)`.
   * `DELETE /v1/users/:userId`.
   *
   * @example
   * const { deletionId, status } = await client.deleteUser('u_123');
   */
  deleteUser(userId: string, options?: DeletionOptions): Promise<DeletionReceipt>;

  /** Deletes an account as `deleteUser` deletes a user. `DELETE /v1/accounts/:accountId`. */
  deleteAccount(accountId: string, options?: DeletionOptions): Promise<DeletionReceipt>;

  /** A deletion's receipt (it never names the deleted id). `GET /v1/deletions/:deletionId`; 404 when unknown. */
  deletion(deletionId: string): Promise<DeletionReceipt>;

  /**
   * Sends events with the write key, split into requests of at most 500 events and 500 KB, one
   * after another. Events without a `messageId` get one (`crypto.randomUUID()`); give your own
   * to make a retry of the same events safe (the service stores each messageId once). Answers
   * are summed; `rejected[].index` is the event's index in `events`. A failed request throws
   * `UptakeApiError` (the requests before it are stored).
   *
   * @example
   * const { accepted, duplicates, rejected } = await client.sendBatch([
   *   { type: 'identify', userId: 'u1', traits: { email: 'ada@acme.test' } },
   *   { type: 'track', userId: 'u1', event: 'Report Created', properties: { accountId: 'acme' } },
   * ]);
   */
  sendBatch(events: readonly EventInput[], options?: SendBatchOptions): Promise<BatchResponse>;

  /**
   * Everything the service stores about one person (traits, identities, memberships, events, NPS
   * answers, prompts shown …), one record at a time with its `kind`, read from one snapshot as
   * it streams (docs/privacy.md). `GET /v1/users/:userId/export`; 404 `user_not_found`.
   *
   * @example
   * for await (const record of client.exportUser('u1')) if (record.kind === 'event') console.log(record);
   */
  exportUser(userId: string): AsyncIterableIterator<UserExportRecord>;

  /**
   * The project's raw events whose timestamp is in [from, to] (days or ISO timestamps), as they
   * were sent, streamed from one snapshot. `GET /v1/events/export` (NDJSON).
   *
   * @example
   * for await (const event of client.exportEvents({ from: '2026-11-01', to: '2026-11-30' })) rows.push(event);
   */
  exportEvents(query: Omit<EventsExportQuery, 'format'>): AsyncIterableIterator<ExportedEvent>;

  /**
   * Sends one `track` event (a feature use). Tie it to an account with `properties.accountId`
   * or `context.groupId`.
   *
   * @example
   * await client.track({ userId: 'u1', event: 'Report Created', properties: { accountId: 'acme' } });
   */
  track(message: TrackMessage, options?: SendBatchOptions): Promise<BatchResponse>;

  /**
   * Sends one `identify` event: who the user is.
   *
   * @example
   * await client.identify({ userId: 'u1', traits: { email: 'ada@acme.test', role: 'admin', isChampion: true } });
   */
  identify(message: IdentifyMessage, options?: SendBatchOptions): Promise<BatchResponse>;

  /**
   * Sends one `group` event: the user belongs to the account `groupId`; `traits.seats` is the
   * number of licences bought.
   *
   * @example
   * await client.group({ userId: 'u1', groupId: 'acme', traits: { name: 'Acme', plan: 'pro', seats: 25 } });
   */
  group(message: GroupMessage, options?: SendBatchOptions): Promise<BatchResponse>;

  /**
   * Sends one `page` event (activity, not a feature).
   *
   * @example
   * await client.page({ userId: 'u1', name: 'Dashboard', properties: { path: '/dashboard' } });
   */
  page(message: PageMessage, options?: SendBatchOptions): Promise<BatchResponse>;
};

/**
 * Makes a client for one Uptake project. Runs wherever `fetch` does (Node 24, edge runtimes,
 * browsers) and loads nothing else. Query methods need `secretKey` (keep it on the server);
 * ingestion needs `writeKey`. A method whose key is missing throws `UptakeConfigError` before
 * any request; an error answer throws `UptakeApiError`.
 *
 * @example
 * import { createUptakeClient } from '@uptake/client';
 *
 * const uptake = createUptakeClient({ host: 'https://uptake.example.com', secretKey: process.env.UPTAKE_SECRET_KEY });
 * const { score, percentile } = await uptake.userScore('u1');
 */
export function createUptakeClient(options: UptakeClientOptions): UptakeClient {
  const { host, secretKey, writeKey } = options;
  if (!host) throw new UptakeConfigError('createUptakeClient needs a host, e.g. https://uptake.example.com');
  // A malformed host fails here, not on the first call.
  if (!URL.canParse(host)) throw new UptakeConfigError(`host must be an absolute URL such as https://uptake.example.com, not "${host}"`);
  // Called through a function so the global fetch keeps its `this` (browsers insist) and a
  // fetch replaced after the client was made is the one used.
  const fetchFn: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const query = <Answer>(method: string, request: Omit<HttpRequest, 'authorization'>): Promise<Answer> => {
    if (!secretKey) {
      return Promise.reject(
        new UptakeConfigError(`${method} needs the project's secretKey: createUptakeClient({ host, secretKey }) (a write key only sends events)`),
      );
    }
    return sendRequest<Answer>(fetchFn, host, { ...request, authorization: `Bearer ${secretKey}` });
  };

  const sendBatch = async (events: readonly EventInput[], batchOptions: SendBatchOptions = {}): Promise<BatchResponse> => {
    if (!writeKey) throw new UptakeConfigError("sending events needs the project's writeKey (createUptakeClient({ host, writeKey }))");
    const fixedSentAt = batchOptions.sentAt instanceof Date ? batchOptions.sentAt.toISOString() : batchOptions.sentAt;
    const withIds = events.map((event) => (event.messageId == null ? { ...event, messageId: crypto.randomUUID() } : event));
    const sample = fixedSentAt ?? new Date().toISOString();
    const chunks = splitBatch(withIds, (batch) => ({ sentAt: sample, batch }));
    const total: BatchResponse = { accepted: 0, duplicates: 0, rejected: [] };
    for (const chunk of chunks) {
      const answer = await sendRequest<BatchResponse>(fetchFn, host, {
        method: 'POST',
        path: '/v1/batch',
        authorization: `Basic ${base64Utf8(`${writeKey}:`)}`,
        body: { sentAt: fixedSentAt ?? new Date().toISOString(), batch: chunk.events },
      });
      total.accepted += answer.accepted;
      total.duplicates += answer.duplicates;
      for (const rejected of answer.rejected) total.rejected.push({ ...rejected, index: rejected.index + chunk.start });
    }
    return total;
  };

  async function* allPages<Item>(method: string, route: string, base: QueryParameters): AsyncIterableIterator<Item> {
    let cursor: string | undefined;
    do {
      const page: { items: Item[]; nextCursor: string | null } = await query(method, { method: 'GET', path: route, query: { ...base, cursor } });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  async function* exportStream<Record_>(method: string, route: string, parameters: QueryParameters): AsyncIterableIterator<Record_> {
    if (!secretKey) throw new UptakeConfigError(`${method} needs the project's secretKey: createUptakeClient({ host, secretKey }) (a write key only sends events)`);
    yield* streamNdjson<Record_>(fetchFn, host, { path: route, query: parameters, authorization: `Bearer ${secretKey}` });
  }

  return {
    userScore: (userId, scoreQuery = {}) => query('userScore', { method: 'GET', path: path`/v1/users/${userId}/score`, query: scoreQuery }),
    accountScore: (accountId, scoreQuery = {}) =>
      query('accountScore', { method: 'GET', path: path`/v1/accounts/${accountId}/score`, query: scoreQuery }),
    userScores: (rankedQuery = {}) => query('userScores', { method: 'GET', path: '/v1/scores/users', query: rankedQuery }),
    accountScores: (rankedQuery = {}) => query('accountScores', { method: 'GET', path: '/v1/scores/accounts', query: rankedQuery }),
    allUserScores: (rankedQuery = {}) => allPages<RankedUser>('allUserScores', '/v1/scores/users', rankedQuery),
    allAccountScores: (rankedQuery = {}) => allPages<RankedAccount>('allAccountScores', '/v1/scores/accounts', rankedQuery),
    accounts: (listQuery = {}) => query('accounts', { method: 'GET', path: '/v1/accounts', query: listQuery }),
    allAccounts: (listQuery = {}) => allPages<AccountListItem>('allAccounts', '/v1/accounts', listQuery),
    accountUsers: (accountId, usersQuery = {}) => query('accountUsers', { method: 'GET', path: path`/v1/accounts/${accountId}/users`, query: usersQuery }),
    allAccountUsers: (accountId, usersQuery = {}) => allPages<AccountUser>('allAccountUsers', path`/v1/accounts/${accountId}/users`, usersQuery),
    activeMetrics: (rangeQuery = {}) => query('activeMetrics', { method: 'GET', path: '/v1/metrics/active', query: rangeQuery }),
    utilisation: (accountId, asOfQuery = {}) =>
      query('utilisation', { method: 'GET', path: path`/v1/accounts/${accountId}/utilisation`, query: asOfQuery }),
    nps: (rangeQuery = {}) => query('nps', { method: 'GET', path: '/v1/nps', query: rangeQuery }),
    scoreModels: () => query('scoreModels', { method: 'GET', path: '/v1/score-models' }),
    createScoreModel: (model) => query('createScoreModel', { method: 'POST', path: '/v1/score-models', body: model }),
    compareScoreModels: (compareQuery) => query('compareScoreModels', { method: 'GET', path: '/v1/score-models/compare', query: compareQuery }),
    accountGroups: (accountId, groupsQuery = {}) => query('accountGroups', { method: 'GET', path: path`/v1/accounts/${accountId}/groups`, query: groupsQuery }),
    groups: (groupsQuery = {}) => query('groups', { method: 'GET', path: '/v1/groups', query: groupsQuery }),
    retention: (retentionQuery = {}) => query('retention', { method: 'GET', path: '/v1/retention', query: retentionQuery }),
    healthModels: () => query('healthModels', { method: 'GET', path: '/v1/health-models' }),
    createHealthModel: (model) => query('createHealthModel', { method: 'POST', path: '/v1/health-models', body: model }),
    accountHealth: (accountId, healthQuery = {}) => query('accountHealth', { method: 'GET', path: path`/v1/accounts/${accountId}/health`, query: healthQuery }),
    accountHealthSeries: (accountId, seriesQuery = {}) =>
      query('accountHealthSeries', { method: 'GET', path: path`/v1/accounts/${accountId}/health/series`, query: seriesQuery }),
    accountScoreChanges: (accountId, changesQuery = {}) =>
      query('accountScoreChanges', { method: 'GET', path: path`/v1/accounts/${accountId}/score/changes`, query: changesQuery }),
    userScoreChanges: (userId, changesQuery = {}) => query('userScoreChanges', { method: 'GET', path: path`/v1/users/${userId}/score/changes`, query: changesQuery }),
    segments: () => query('segments', { method: 'GET', path: '/v1/segments' }),
    segmentMembers: (key, membersQuery = {}) =>
      query('segmentMembers', { method: 'GET', path: path`/v1/segments/${key}/members`, query: membersQuery }),
    allSegmentMembers: (key, membersQuery = {}) => allPages<SegmentMember>('allSegmentMembers', path`/v1/segments/${key}/members`, membersQuery),
    userSegments: (userId, scoreQuery = {}) => query('userSegments', { method: 'GET', path: path`/v1/users/${userId}/segments`, query: scoreQuery }),
    accountSegments: (accountId, scoreQuery = {}) =>
      query('accountSegments', { method: 'GET', path: path`/v1/accounts/${accountId}/segments`, query: scoreQuery }),
    segmentChanges: (key, changesQuery = {}) => query('segmentChanges', { method: 'GET', path: path`/v1/segments/${key}/changes`, query: changesQuery }),
    allSegmentChanges: (key, changesQuery = {}) => allPages<SegmentTransition>('allSegmentChanges', path`/v1/segments/${key}/changes`, changesQuery),
    accountSegmentHistory: (accountId, historyQuery = {}) =>
      query('accountSegmentHistory', { method: 'GET', path: path`/v1/accounts/${accountId}/segments/history`, query: historyQuery }),
    userSegmentHistory: (userId, historyQuery = {}) => query('userSegmentHistory', { method: 'GET', path: path`/v1/users/${userId}/segments/history`, query: historyQuery }),
    createSegment: (segment) => query('createSegment', { method: 'POST', path: '/v1/segments', body: segment }),
    updateSegment: (key, segment) => query('updateSegment', { method: 'PUT', path: path`/v1/segments/${key}`, body: segment }),
    deleteSegment: async (key) => {
      await query('deleteSegment', { method: 'DELETE', path: path`/v1/segments/${key}` });
    },
    segmentSettings: () => query('segmentSettings', { method: 'GET', path: '/v1/segments/settings' }),
    updateSegmentSettings: (settings) => query('updateSegmentSettings', { method: 'PUT', path: '/v1/segments/settings', body: settings }),
    project: () => query('project', { method: 'GET', path: '/v1/project' }),
    updateProject: (settings) => query('updateProject', { method: 'PATCH', path: '/v1/project', body: settings }),
    rotateKey: (rotation) => query('rotateKey', { method: 'POST', path: '/v1/project/keys/rotate', body: rotation }),
    createWebhook: (webhook) => query('createWebhook', { method: 'POST', path: '/v1/webhooks', body: webhook }),
    webhooks: () => query('webhooks', { method: 'GET', path: '/v1/webhooks' }),
    webhook: (id) => query('webhook', { method: 'GET', path: path`/v1/webhooks/${id}` }),
    updateWebhook: (id, update) => query('updateWebhook', { method: 'PATCH', path: path`/v1/webhooks/${id}`, body: update }),
    deleteWebhook: async (id) => {
      await query('deleteWebhook', { method: 'DELETE', path: path`/v1/webhooks/${id}` });
    },
    rotateWebhookSecret: (id, rotation = {}) => query('rotateWebhookSecret', { method: 'POST', path: path`/v1/webhooks/${id}/secret/rotate`, body: rotation }),
    webhookDeliveries: (id, deliveriesQuery = {}) => query('webhookDeliveries', { method: 'GET', path: path`/v1/webhooks/${id}/deliveries`, query: deliveriesQuery }),
    allWebhookDeliveries: (id, deliveriesQuery = {}) => allPages<WebhookDelivery>('allWebhookDeliveries', path`/v1/webhooks/${id}/deliveries`, deliveriesQuery),
    redeliverWebhook: (id, messageId) => query('redeliverWebhook', { method: 'POST', path: path`/v1/webhooks/${id}/deliveries/${messageId}/redeliver`, body: {} }),
    testWebhook: (id) => query('testWebhook', { method: 'POST', path: path`/v1/webhooks/${id}/test`, body: {} }),
    deleteUser: (userId, options = {}) =>
      query('deleteUser', { method: 'DELETE', path: path`/v1/users/${userId}`, query: options.allowReturn === undefined ? {} : { allowReturn: options.allowReturn } }),
    deleteAccount: (accountId, options = {}) =>
      query('deleteAccount', { method: 'DELETE', path: path`/v1/accounts/${accountId}`, query: options.allowReturn === undefined ? {} : { allowReturn: options.allowReturn } }),
    deletion: (deletionId) => query('deletion', { method: 'GET', path: path`/v1/deletions/${deletionId}` }),
    exportUser: (userId) => exportStream<UserExportRecord>('exportUser', path`/v1/users/${userId}/export`, {}),
    exportEvents: (range) => exportStream<ExportedEvent>('exportEvents', '/v1/events/export', { from: range.from, to: range.to, format: 'ndjson' }),
    sendBatch,
    track: (message, batchOptions) => sendBatch([{ ...message, type: 'track' }], batchOptions),
    identify: (message, batchOptions) => sendBatch([{ ...message, type: 'identify' }], batchOptions),
    group: (message, batchOptions) => sendBatch([{ ...message, type: 'group' }], batchOptions),
    page: (message, batchOptions) => sendBatch([{ ...message, type: 'page' }], batchOptions),
  };
}
