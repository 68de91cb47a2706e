import { randomUUID } from 'node:crypto';
import {
  normaliseTimestamp,
  validateEvent,
  type EventContext,
  type FieldError,
  type RejectedEvent,
  type UptakeEvent,
} from '@uptake/protocol';
import type { StoredEvent } from '../derived/stored-event.ts';
import { contextWithoutIp, payloadWithoutIp } from './client-address.ts';
import { checkUserHash, contextWithoutUserHash, payloadWithoutUserHash, type UserVerification } from './user-hash.ts';

/** One event as it will be stored, plus what identify/group calls change. */
export type EventRow = StoredEvent & {
  /** Position in its request's batch (for the answer's `rejected`). */
  index: number;
};

export type IngestionWarning = {
  kind: 'rejected' | 'message_id_generated' | 'timestamp_far_future';
  messageId: string | null;
  eventIndex: number;
  errors: FieldError[];
  payload: unknown;
  receivedAt: Date;
};

export type PreparedBatch = {
  rows: EventRow[];
  rejected: RejectedEvent[];
  warnings: IngestionWarning[];
  /** Events whose messageId appeared earlier in the same batch. */
  repeatedInBatch: number;
};

/** Fields of protocol v1 that have a column of their own; all others go to `extra`. */
const MAPPED_FIELDS = new Set([
  'type', 'messageId', 'timestamp', 'userId', 'anonymousId', 'context', 'traits', 'groupId', 'event', 'properties', 'name', 'writeKey', 'sentAt',
]);

/**
 * Validates and normalises the events of one batch: clock skew, generated ids, account
 * resolution, in-batch duplicates, and identity verification (`context.userHash` checked against
 * `verification`, rejected when the project requires it, then dropped from the event and from
 * warnings' payloads), and `context.ip` dropped likewise unless `options.storeIp`. Pure: the same input gives the same rows (apart from generated messageIds).
 *
 * @example
 * prepareBatch({ sentAt, batch: [{ type: 'track', event: 'Report Created', userId: 'u1' }] }, new Date())
 */
export function prepareBatch(
  envelope: { sentAt?: string | undefined; batch: unknown[]; context?: EventContext | undefined },
  receivedAt: Date,
  verification?: UserVerification,
  options: { storeIp?: boolean } = {},
): PreparedBatch {
  // What a warning keeps of the event as sent: never the userHash, the IP only when the operator keeps IPs.
  const warningPayload = (raw: unknown) => (options.storeIp ? payloadWithoutUserHash(raw) : payloadWithoutIp(payloadWithoutUserHash(raw)));
  const sentAt = envelope.sentAt ? new Date(envelope.sentAt) : undefined;
  const prepared: PreparedBatch = { rows: [], rejected: [], warnings: [], repeatedInBatch: 0 };
  const seen = new Set<string>();

  // A refused event: answered in `rejected`, kept as a warning with the event as sent.
  const reject = (index: number, raw: unknown, messageId: string | undefined, errors: FieldError[]) => {
    prepared.rejected.push({ index, ...(messageId ? { messageId } : {}), errors });
    prepared.warnings.push({ kind: 'rejected', messageId: messageId ?? null, eventIndex: index, errors, payload: warningPayload(raw), receivedAt });
  };

  envelope.batch.forEach((raw, index) => {
    const validation = validateEvent(raw);
    if (!validation.ok) return reject(index, raw, rawMessageId(raw), validation.errors);
    const event = validation.event;
    const mergedContext = envelope.context || event.context ? { ...envelope.context, ...event.context } : null;
    const identity = checkUserHash(verification, event.userId, mergedContext?.['userHash']);
    if (identity.error) return reject(index, raw, event.messageId, [identity.error]);
    const time = normaliseTimestamp(sentAt, event.timestamp ? new Date(event.timestamp) : undefined, receivedAt);
    if (time.problem) return reject(index, raw, event.messageId, [{ path: 'timestamp', message: time.problem }]);
    const messageIdGenerated = !event.messageId;
    const messageId = event.messageId ?? randomUUID();
    if (seen.has(messageId)) {
      prepared.repeatedInBatch++;
      return;
    }
    seen.add(messageId);

    if (messageIdGenerated) {
      prepared.warnings.push({
        kind: 'message_id_generated',
        messageId,
        eventIndex: index,
        errors: [{ path: 'messageId', message: 'missing: the service made one, so a retry of this event cannot be deduplicated' }],
        payload: warningPayload(raw),
        receivedAt,
      });
    }
    if (time.farFuture) {
      prepared.warnings.push({
        kind: 'timestamp_far_future',
        messageId,
        eventIndex: index,
        errors: [{ path: 'timestamp', message: 'more than 23 h after the receive time; set to the receive time' }],
        payload: warningPayload(raw),
        receivedAt,
      });
    }
    const withoutHash = contextWithoutUserHash(mergedContext);
    const context = options.storeIp ? withoutHash : contextWithoutIp(withoutHash);
    prepared.rows.push({
      index,
      messageId,
      type: event.type,
      event: event.type === 'track' ? event.event : event.type === 'page' ? (event.name ?? null) : null,
      userId: event.userId ?? null,
      anonymousId: event.anonymousId ?? null,
      accountId: accountOf(event, context),
      timestamp: time.timestamp,
      sentAt: sentAt ?? null,
      properties: event.type === 'track' || event.type === 'page' ? (event.properties ?? null) : (event.traits ?? null),
      context,
      extra: unmappedFields(event),
      timestampClamped: time.clamped,
      messageIdGenerated,
      receivedAt,
      userVerified: identity.verified,
    });
  });
  return prepared;
}

/** docs/api.md, Definitions: an event belongs to the account it names; `group` names it in `groupId`. */
function accountOf(event: UptakeEvent, context: Record<string, unknown> | null): string | null {
  if (event.type === 'group') return event.groupId;
  const fromContext = context?.['groupId'];
  if (typeof fromContext === 'string' && fromContext) return fromContext;
  if (event.type === 'track' || event.type === 'page') {
    const fromProperties = event.properties?.['accountId'];
    if ((typeof fromProperties === 'string' && fromProperties) || typeof fromProperties === 'number') {
      return String(fromProperties).slice(0, 200);
    }
  }
  return null;
}

function unmappedFields(event: UptakeEvent): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key of Object.keys(event)) {
    if (!MAPPED_FIELDS.has(key)) (extra ??= {})[key] = (event as Record<string, unknown>)[key];
  }
  return extra;
}

function rawMessageId(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const id = (raw as Record<string, unknown>)['messageId'];
  return typeof id === 'string' && id.length <= 200 && id.isWellFormed() && !id.includes('\u0000') ? id : undefined;
}
