import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { WEBHOOK_LIMITS, WEBHOOK_TEST_EVENT, type NewWebhook, type Webhook, type WebhookUpdate } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { WebhookEndpointsTable } from '../db/tables/webhooks.table.ts';
import { HttpError } from '../http/errors.ts';
import { newWebhookSecret } from './signature.ts';

type EndpointRow = Selectable<WebhookEndpointsTable>;

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

/** An endpoint as the API shows it: never its secrets. */
export function webhookOf(row: EndpointRow): Webhook {
  const overlapEnds = row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date() ? iso(row.previous_secret_expires_at) : null;
  return {
    id: row.endpoint_id,
    url: row.url,
    description: row.description,
    format: row.format,
    events: row.event_types,
    segments: row.segments,
    npsCategories: row.nps_categories as Webhook['npsCategories'],
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    failingSince: iso(row.failing_since),
    previousSecretExpiresAt: overlapEnds,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

const notFound = (endpointId: string) => new HttpError(404, 'webhook_not_found', `no webhook "${endpointId}" in this project`);

export async function listEndpoints(db: Kysely<Database>, projectId: string): Promise<EndpointRow[]> {
  return db.selectFrom('webhook_endpoints').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('endpoint_id').execute();
}

/** The endpoint, or a 404 naming it. */
export async function endpointOrThrow(db: Kysely<Database>, projectId: string, endpointId: string): Promise<EndpointRow> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('project_id', '=', projectId).where('endpoint_id', '=', endpointId).executeTakeFirst();
  if (!row) throw notFound(endpointId);
  return row;
}

/** Makes an endpoint with a new secret (answered this once). At most WEBHOOK_LIMITS.maxEndpointsPerProject per project. */
export async function createEndpoint(db: Kysely<Database>, projectId: string, input: Required<Omit<NewWebhook, 'segments' | 'npsCategories'>> & Pick<NewWebhook, 'segments' | 'npsCategories'>): Promise<{ row: EndpointRow; secret: string }> {
  const secret = newWebhookSecret();
  const row = await db.transaction().execute(async (trx) => {
    // One creation at a time per project, so two at once cannot both pass the limit.
    await sql`select 1 from projects where project_id = ${projectId} for update`.execute(trx);
    const { count } = await trx.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<string>().as('count')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    if (Number(count) >= WEBHOOK_LIMITS.maxEndpointsPerProject) {
      throw new HttpError(409, 'webhook_limit', `a project may have at most ${WEBHOOK_LIMITS.maxEndpointsPerProject} webhook endpoints: delete one first`);
    }
    return trx
      .insertInto('webhook_endpoints')
      .values({
        project_id: projectId,
        endpoint_id: `wh_${randomBytes(9).toString('base64url')}`,
        url: input.url,
        description: input.description,
        format: input.format,
        event_types: input.events,
        segments: input.segments ?? null,
        nps_categories: input.npsCategories ?? null,
        secret,
        previous_secret: null,
        previous_secret_expires_at: null,
        enabled: input.enabled,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return { row, secret };
}

/** Changes the fields given; enabling clears the reason it was disabled and the failure streak. */
export async function updateEndpoint(db: Kysely<Database>, projectId: string, endpointId: string, input: WebhookUpdate): Promise<EndpointRow> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.format !== undefined ? { format: input.format } : {}),
      ...(input.events !== undefined ? { event_types: input.events } : {}),
      ...(input.segments !== undefined ? { segments: input.segments } : {}),
      ...(input.npsCategories !== undefined ? { nps_categories: input.npsCategories } : {}),
      ...(input.enabled === true ? { enabled: true, disabled_reason: null, disabled_at: null, failing_since: null } : {}),
      ...(input.enabled === false ? { enabled: false, disabled_reason: 'disabled through the API', disabled_at: new Date() } : {}),
      updated_at: new Date(),
    })
    .where('project_id', '=', projectId)
    .where('endpoint_id', '=', endpointId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound(endpointId);
  return row;
}

/** Deletes the endpoint and its delivery log (nothing more is sent to it). */
export async function deleteEndpoint(db: Kysely<Database>, projectId: string, endpointId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('webhook_endpoints').where('project_id', '=', projectId).where('endpoint_id', '=', endpointId).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw notFound(endpointId);
    await trx.deleteFrom('webhook_deliveries').where('project_id', '=', projectId).where('endpoint_id', '=', endpointId).execute();
  });
}

/** A new secret; the current one keeps signing too for `overlapHours`. */
export async function rotateSecret(db: Kysely<Database>, projectId: string, endpointId: string, overlapHours: number): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const secret = newWebhookSecret();
  const expires = new Date(Date.now() + overlapHours * 3_600_000);
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({ previous_secret: eb.ref('secret'), previous_secret_expires_at: expires, secret, updated_at: new Date() }))
    .where('project_id', '=', projectId)
    .where('endpoint_id', '=', endpointId)
    .returning('endpoint_id')
    .executeTakeFirst();
  if (!row) throw notFound(endpointId);
  return { secret, previousSecretExpiresAt: expires.toISOString() };
}

/** Queues a `webhook.test` message to this endpoint alone, whatever it subscribes to. */
export async function enqueueTestMessage(db: Kysely<Database>, projectId: string, endpointId: string): Promise<string> {
  await endpointOrThrow(db, projectId, endpointId);
  const messageId = `msg_test_${randomBytes(12).toString('base64url')}`;
  const payload = { type: WEBHOOK_TEST_EVENT, timestamp: new Date().toISOString(), data: { endpointId, message: 'A test message from Uptake: this endpoint receives webhooks.' } };
  await db
    .insertInto('webhook_deliveries')
    .values({ project_id: projectId, endpoint_id: endpointId, message_id: messageId, event_type: WEBHOOK_TEST_EVENT, payload: JSON.stringify(payload) })
    .execute();
  return messageId;
}

/**
 * Sends a delivery again: due now, with a fresh schedule. One being sent right now keeps its
 * claim, so it is never sent by two dispatchers at once.
 */
export async function redeliver(db: Kysely<Database>, projectId: string, endpointId: string, messageId: string): Promise<void> {
  await endpointOrThrow(db, projectId, endpointId);
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()` })
    .where('project_id', '=', projectId)
    .where('endpoint_id', '=', endpointId)
    .where('message_id', '=', messageId)
    .returning('message_id')
    .executeTakeFirst();
  if (!row) throw new HttpError(404, 'delivery_not_found', `no delivery "${messageId}" to webhook "${endpointId}"`);
}
