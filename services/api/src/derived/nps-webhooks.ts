import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { npsCategory } from '../domain/nps-category.js';
import { enqueueWebhookMessages, type WebhookMessage } from '../webhooks/outbox.ts';
import type { StoredEvent } from './stored-event.ts';

/**
 * The `webhook-id` of an NPS answer: the same for the same stored answer (project and event
 * messageId), header-safe whatever characters the event's messageId has.
 */
export const npsWebhookId = (projectId: string, messageId: string) =>
  `msg_nps_${createHash('sha256').update(`${projectId}\u0000${messageId}`).digest('base64url').slice(0, 32)}`;

/**
 * Queues an `nps.response` message (docs/webhooks.md) for each newly stored answer, in the
 * ingestion transaction that stores it: an acknowledged answer always has its deliveries, a
 * rolled-back one never. Costs one statement, and only for batches with answers.
 */
export async function enqueueNpsResponses(trx: Transaction<Database>, projectId: string, answers: Array<{ row: StoredEvent; score: number }>): Promise<void> {
  if (answers.length === 0) return;
  const messages = answers.map(({ row, score }): WebhookMessage => {
    const category = npsCategory(score);
    const comment = row.properties?.['comment'];
    return {
      messageId: npsWebhookId(projectId, row.messageId),
      type: 'nps.response',
      npsCategory: category,
      data: { userId: row.userId, accountId: row.accountId, score, category, ...(typeof comment === 'string' && comment !== '' ? { comment } : {}) },
      at: row.timestamp,
    };
  });
  await enqueueWebhookMessages(trx, projectId, messages);
}
