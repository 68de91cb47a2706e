import { sql, type Kysely } from 'kysely';
import type { WebhookDeliveries, WebhookDeliveriesQuery } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { decodeCursor, encodeCursor } from '../http/cursor-paging.ts';

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

/**
 * One page of an endpoint's delivery log, newest first. The cursor holds the last entry's
 * creation time in microseconds (a JavaScript Date would lose them) and its message id.
 */
export async function deliveryLog(db: Kysely<Database>, projectId: string, endpointId: string, query: WebhookDeliveriesQuery & { limit: number }): Promise<WebhookDeliveries> {
  const after =
    query.cursor === undefined
      ? undefined
      : decodeCursor(query.cursor, ([micros, messageId]) =>
          // Only what this API makes: text Postgres can compare (no NUL, no lone surrogate), a time in range.
          typeof micros === 'string' && /^\d{1,17}$/.test(micros) && typeof messageId === 'string' && messageId.length <= 200 && !messageId.includes('\u0000') && messageId.isWellFormed()
            ? { micros, messageId }
            : undefined,
        );
  const createdMicros = sql<string>`(extract(epoch from created_at) * 1000000)::bigint::text`;
  let select = db
    .selectFrom('webhook_deliveries')
    .select(['message_id', 'event_type', 'status', 'attempts', 'created_at', 'last_attempt_at', 'next_attempt_at', 'last_status_code', 'last_latency_ms', 'last_error', 'delivered_at', 'payload'])
    .select(createdMicros.as('created_micros'))
    .where('project_id', '=', projectId)
    .where('endpoint_id', '=', endpointId);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (after !== undefined) {
    select = select.where(sql<boolean>`(created_at, message_id) < (timestamptz 'epoch' + ${after.micros}::bigint * interval '1 microsecond', ${after.messageId})`);
  }
  const rows = await select.orderBy('created_at', 'desc').orderBy('message_id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      messageId: row.message_id,
      type: row.event_type,
      status: row.status,
      attempts: row.attempts,
      createdAt: iso(row.created_at)!,
      lastAttemptAt: iso(row.last_attempt_at),
      nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
      responseStatus: row.last_status_code,
      latencyMs: row.last_latency_ms,
      error: row.last_error,
      deliveredAt: iso(row.delivered_at),
      payload: row.payload,
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.created_micros, last.message_id]) : null,
  };
}
