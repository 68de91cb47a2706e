/**
 * Client IP addresses (docs/privacy.md, "What is stored"): the service adds none of its own to an
 * event, and by default removes the one a sender puts in `context.ip` (Segment's server libraries
 * do) before the event or its ingestion warning is stored. `UPTAKE_STORE_IP=1` keeps it.
 */

/** `context` without `ip`. */
export function contextWithoutIp(context: Record<string, unknown> | null): Record<string, unknown> | null {
  if (context === null || !Object.hasOwn(context, 'ip')) return context;
  const { ip: _ip, ...rest } = context;
  return rest;
}

/** An event as sent, without `context.ip`, for the ingestion warnings that keep it. */
export function payloadWithoutIp(raw: unknown): unknown {
  if (!isObject(raw) || !isObject(raw['context']) || !Object.hasOwn(raw['context'], 'ip')) return raw;
  return { ...raw, context: contextWithoutIp(raw['context']) };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
