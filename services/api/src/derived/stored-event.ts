import type { UptakeEvent } from '@uptake/protocol';

/**
 * One event as it is stored (a row of `events`, in camelCase): what ingestion inserts and the
 * derived-table writers read. Ingestion's `EventRow` is this plus the event's place in its request.
 */
export type StoredEvent = {
  messageId: string;
  type: UptakeEvent['type'];
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  accountId: string | null;
  timestamp: Date;
  sentAt: Date | null;
  properties: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  extra: Record<string, unknown> | null;
  timestampClamped: boolean;
  messageIdGenerated: boolean;
  receivedAt: Date;
  /** The event carried a valid `context.userHash` for its userId (the hash itself is never stored). */
  userVerified: boolean;
};
