import type { ColumnType, Generated } from 'kysely';

type Json = ColumnType<Record<string, unknown> | null, string | null, string | null>;

/** Every accepted event, one row each; `(project_id, message_id)` makes retries idempotent. */
export type EventsTable = {
  project_id: string;
  message_id: string;
  type: 'identify' | 'group' | 'track' | 'page';
  /** `track`: the event name; `page`: the page name. */
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  /** The account the event names: a group's groupId, `context.groupId` or `properties.accountId`. */
  account_id: string | null;
  /** Skew-corrected event time, never later than `received_at`. */
  timestamp: Date;
  received_at: Date;
  sent_at: Date | null;
  /** `properties` of track/page, `traits` of identify/group. */
  properties: Json;
  context: Json;
  /** Every other field the sender sent (Segment's integrations, _metadata, …), kept as is. */
  extra: Json;
  timestamp_clamped: boolean;
  message_id_generated: boolean;
  /**
   * The event carried a valid `context.userHash` for its `user_id` (the hash is not stored).
   * Group calls make verified memberships from it (docs/widgets.md).
   */
  user_verified: Generated<boolean>;
};
