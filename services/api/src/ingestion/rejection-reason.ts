import type { FieldError } from '@uptake/protocol';

/**
 * Why an event was rejected, as one word of a small fixed set (a metric label must not take
 * values from client input): the codes that lead some refusals' messages (`deleted:`,
 * `event_name_limit:`), identity verification, the merged-trait caps, and any other validation
 * failure (docs/protocol.md, "Limits").
 */
export const EVENT_REJECTION_REASONS = ['invalid_event', 'user_hash', 'deleted', 'event_name_limit', 'trait_limit'] as const;
export type EventRejectionReason = (typeof EVENT_REJECTION_REASONS)[number];

/**
 * @example
 * rejectionReason({ path: 'userId', message: 'deleted: this userId was deleted, …' }) // → 'deleted'
 */
export function rejectionReason(error: FieldError): EventRejectionReason {
  const code = /^([a-z_]+):/.exec(error.message)?.[1];
  if (code === 'deleted' || code === 'event_name_limit') return code;
  if (error.path === 'context.userHash') return 'user_hash';
  if (error.path === 'traits' && /\((maxTraitKeys|maxTraitBytes)\)$/.test(error.message)) return 'trait_limit';
  return 'invalid_event';
}
