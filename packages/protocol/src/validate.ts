import type { z } from 'zod';
import { eventSchema, type UptakeEvent } from './events.ts';
import type { FieldError } from './batch.ts';
import { LIMITS } from './limits.ts';
import { findUnstorableValue, jsonByteLengthAbove } from './storable.ts';

export type EventValidation = { ok: true; event: UptakeEvent } | { ok: false; errors: FieldError[] };

/**
 * Checks one raw event against protocol v1: size, storable values, then the schema.
 *
 * @example
 * validateEvent({ type: 'track', event: 'Report Created', userId: 'u1' }) // → { ok: true, event }
 * validateEvent({ type: 'track', userId: 'u1' }) // → { ok: false, errors: [{ path: 'event', … }] }
 */
export function validateEvent(raw: unknown): EventValidation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: '(root)', message: 'event must be an object' }] };
  }
  // The depth check comes first: it is iterative, while measuring the size serialises the value.
  const unstorable = findUnstorableValue(raw);
  if (unstorable) return { ok: false, errors: [unstorable] };
  const bytes = jsonByteLengthAbove(raw, LIMITS.maxEventBytes);
  if (bytes !== undefined) {
    return { ok: false, errors: [{ path: '(root)', message: `event is ${bytes} bytes; at most ${LIMITS.maxEventBytes} allowed` }] };
  }
  const result = eventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, errors: issuesToFieldErrors(result.error.issues) };
}

/** Turns zod issues into `{ path, message }` pairs with dotted paths (`properties.score`, `batch[3]`). */
export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: readableMessage(issue) }));
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text || '(root)';
}

/** zod says "expected string, received undefined" for a missing field; people say "required". */
function readableMessage(issue: z.core.$ZodIssue): string {
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
  return missing ? `is required (${missing[1]})` : issue.message;
}
