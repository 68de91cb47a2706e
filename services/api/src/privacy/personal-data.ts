/**
 * The deletion plan (docs/privacy.md, "Deletion"): every table that can hold a user id, an
 * account id, an anonymous id, traits, properties, context or a payload naming someone, and
 * what a deletion does to it. The catalogue test (test/privacy/catalogue.test.ts) reads the
 * database's own list of tables and columns and fails when a table is in neither list below, so
 * a new table cannot be forgotten. Export reuses this list to know where a person's data is.
 *
 * `re-key`: the rows stay, their ids replaced by an irreversible pseudonym, their personal
 * fields emptied, so the figures they make stay what they were. `delete`: the rows go (they
 * make no figure). `none`: the table holds nothing of that subject.
 */
export type DeletionHandling = 're-key' | 'delete' | 'none';

export type PersonalDataTable = {
  table: string;
  /** The columns that can name or describe a person or an account. */
  columns: readonly string[];
  user: DeletionHandling;
  account: DeletionHandling;
  how: string;
};

export const PERSONAL_DATA_TABLES: readonly PersonalDataTable[] = [
  {
    table: 'events',
    columns: ['user_id', 'anonymous_id', 'account_id', 'properties', 'context', 'extra'],
    user: 're-key',
    account: 're-key',
    how:
      "user: userId and the linked anonymousIds re-keyed; properties, context and extra of the person's own events emptied (a group call keeps the account's traits; an NPS answer keeps its score, which the rebuild reads). " +
      "account: account_id re-keyed; a group call keeps only seats and onboardedAt, other events lose properties.accountId and context.groupId",
  },
  { table: 'users', columns: ['user_id', 'traits', 'trait_stamps'], user: 're-key', account: 'none', how: 'user_id re-keyed, traits and their stamps emptied' },
  { table: 'accounts', columns: ['account_id', 'traits', 'trait_stamps'], user: 'none', account: 're-key', how: 'account_id re-keyed, traits and stamps emptied; seats and onboarded_at (figures) kept' },
  { table: 'identities', columns: ['anonymous_id', 'user_id'], user: 're-key', account: 'none', how: 'both ids re-keyed' },
  { table: 'identity_links', columns: ['anonymous_id', 'user_id'], user: 're-key', account: 'none', how: 'both ids re-keyed' },
  { table: 'memberships', columns: ['account_id', 'user_id'], user: 're-key', account: 're-key', how: "the subject's id re-keyed" },
  { table: 'verified_memberships', columns: ['user_id', 'account_id'], user: 're-key', account: 're-key', how: "the subject's id re-keyed" },
  { table: 'anonymous_memberships', columns: ['anonymous_id', 'account_id'], user: 're-key', account: 're-key', how: 'the linked anonymousIds, or the account, re-keyed' },
  { table: 'user_day_events', columns: ['user_id', 'account_key'], user: 're-key', account: 're-key', how: 'user_id or account_key re-keyed' },
  { table: 'anonymous_day_events', columns: ['anonymous_id', 'account_key'], user: 're-key', account: 're-key', how: 'anonymous_id or account_key re-keyed' },
  { table: 'event_spans', columns: ['subject_id', 'account_key'], user: 're-key', account: 're-key', how: 'subject_id (user and linked anonymousIds) or account_key re-keyed' },
  { table: 'user_first_seen', columns: ['user_id'], user: 're-key', account: 'none', how: 'user_id re-keyed' },
  { table: 'user_day_points', columns: ['user_id'], user: 're-key', account: 'none', how: 'user_id re-keyed' },
  { table: 'user_active_days', columns: ['user_id'], user: 're-key', account: 'none', how: 'user_id re-keyed' },
  { table: 'account_active_days', columns: ['account_id', 'user_id'], user: 're-key', account: 're-key', how: "the subject's id re-keyed" },
  { table: 'score_point_queue', columns: ['subject_id'], user: 're-key', account: 'none', how: "the person's queued days (userId and linked anonymousIds) re-keyed, so the kept figures still take them in" },
  { table: 'account_day_points', columns: ['account_id', 'user_id'], user: 're-key', account: 're-key', how: "the subject's id re-keyed" },
  { table: 'account_day_totals', columns: ['account_id'], user: 'none', account: 're-key', how: 'account_id re-keyed' },
  { table: 'account_first_seen', columns: ['account_id'], user: 'none', account: 're-key', how: 'account_id re-keyed' },
  { table: 'account_seats', columns: ['account_id'], user: 'none', account: 're-key', how: 'account_id re-keyed' },
  { table: 'nps_responses', columns: ['user_id', 'anonymous_id', 'account_id'], user: 're-key', account: 're-key', how: "the subject's ids re-keyed (the comment lives in the event's properties, emptied there)" },
  { table: 'widget_contacts', columns: ['user_id', 'account_id'], user: 'delete', account: 're-key', how: "user: the person's prompt ledger deleted (no figure reads it back); account: account_id re-keyed" },
  { table: 'campaign_assignments', columns: ['user_id'], user: 're-key', account: 'none', how: "user_id re-keyed (a campaign's results keep counting the person, as nobody)" },
  { table: 'ingestion_warnings', columns: ['payload', 'message_id'], user: 'delete', account: 'delete', how: 'every warning whose payload holds one of the ids deleted (they make no figure)' },
  {
    table: 'segment_memberships',
    columns: ['member_id', 'facts'],
    user: 're-key',
    account: 're-key',
    how: "the subject's memberships of user (or account) segments re-keyed, their facts emptied; other members' facts naming the subject emptied",
  },
  { table: 'segment_transitions', columns: ['member_id', 'facts'], user: 're-key', account: 're-key', how: 'as segment_memberships' },
  { table: 'webhook_deliveries', columns: ['payload'], user: 'delete', account: 'delete', how: 'every delivery whose payload names one of the ids deleted, pending ones included' },
];

/** Tables that hold nothing identifying a person or an account, and why. */
export const TABLES_WITHOUT_PERSONAL_DATA: Readonly<Record<string, string>> = {
  projects: 'project settings and key hashes',
  retired_keys: 'hashes of replaced keys',
  score_models: 'score model definitions',
  score_point_versions: 'which score model versions have kept points',
  daily_active_users: "a project's DAU / WAU / MAU per day (counts only)",
  active_day_projects: 'which projects have their kept activity filled',
  health_models: 'health model definitions',
  segments: 'custom segment definitions',
  widget_settings: 'widget settings',
  campaigns: 'campaign definitions (who, what, when) of the operator',
  segment_watches: 'which segments the watcher tracks and their definitions',
  webhook_endpoints: 'endpoint URLs and secrets of the operator',
  event_names: 'distinct event names of a project',
  event_name_counts: 'a count per project',
  deletions: 'receipts; the subject id is kept only while the deletion runs (pending), then cleared',
  privacy_keys: "a project's suppression secret",
  deletion_suppressions: 'keyed hashes of deleted ids, never the ids',
  kysely_migration: 'migration bookkeeping',
  kysely_migration_lock: 'migration bookkeeping',
};
