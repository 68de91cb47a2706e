import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

export type DeliveryBacklog = { due: number; scheduled: number; oldestDueSeconds: number };

/**
 * The deliveries waiting to be sent, over every project (for `/metrics`): due now, scheduled for a
 * later retry, and how long the oldest due one has waited. Deliveries of disabled endpoints wait
 * for the endpoint to be enabled again and are left out. Reads the pending deliveries' partial
 * index (`webhook_deliveries_due`), which stays small while receivers keep up.
 */
export async function deliveryBacklog(db: Kysely<Database>): Promise<DeliveryBacklog> {
  const result = await sql<{ due: number | string; scheduled: number | string; oldest_due_seconds: number | string | null }>`
    select
      count(*) filter (where d.next_attempt_at <= now()) as due,
      count(*) filter (where d.next_attempt_at > now()) as scheduled,
      extract(epoch from now() - min(d.next_attempt_at) filter (where d.next_attempt_at <= now())) as oldest_due_seconds
    from webhook_deliveries d
    join webhook_endpoints e on e.project_id = d.project_id and e.endpoint_id = d.endpoint_id
    where d.status = 'pending' and e.enabled`.execute(db);
  const row = result.rows[0]!;
  return { due: Number(row.due), scheduled: Number(row.scheduled), oldestDueSeconds: Number(row.oldest_due_seconds ?? 0) };
}
