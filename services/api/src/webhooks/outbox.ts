import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { WebhookEventType } from '../db/tables/webhooks.table.ts';

/**
 * One message for the endpoints that subscribe to it. `messageId` is the `webhook-id` receivers
 * dedupe on: the same cause always gives the same id (e.g. `msg_tr_<transition id>`), so writing
 * it twice stores it once. `segment` and `npsCategory` are what endpoint filters match on.
 */
export type WebhookMessage = {
  messageId: string;
  type: WebhookEventType;
  segment?: string;
  npsCategory?: string;
  /** The `data` of the Standard Webhooks payload (docs/webhooks.md). */
  data: Record<string, unknown>;
  /** When the cause happened: the payload's `timestamp`. */
  at: Date;
};

/**
 * Writes a delivery for every enabled endpoint of the project that subscribes to each message:
 * call it inside the transaction that records the cause (the transactional outbox), so the
 * delivery exists exactly when its cause does. Idempotent per (endpoint, message).
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   // … record a segment transition …
 *   await enqueueWebhookMessages(trx, projectId, [{ messageId: 'msg_tr_42', type: 'segment.entered', segment: 'low-utilization', data, at }]);
 * });
 */
export async function enqueueWebhookMessages(trx: Kysely<Database>, projectId: string, messages: readonly WebhookMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  const rows = messages.map((message) => ({
    id: message.messageId,
    type: message.type,
    segment: message.segment ?? null,
    category: message.npsCategory ?? null,
    payload: JSON.stringify({ type: message.type, timestamp: message.at.toISOString(), data: message.data }),
  }));
  const result = await sql`
    insert into webhook_deliveries (project_id, endpoint_id, message_id, event_type, payload)
    select e.project_id, e.endpoint_id, m.id, m.type, m.payload::jsonb
    from webhook_endpoints e
    join jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as m(id text, type text, segment text, category text, payload text)
      on m.type = any(e.event_types)
     and (e.segments is null or m.segment is null or m.segment = any(e.segments))
     and (e.nps_categories is null or m.category is null or m.category = any(e.nps_categories))
    where e.project_id = ${projectId} and e.enabled
    on conflict (project_id, endpoint_id, message_id) do nothing`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
