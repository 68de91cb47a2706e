/**
 * Verifying an Uptake webhook on the receiving side (docs/webhooks.md): Standard Webhooks
 * signatures, checked with WebCrypto (Node 24, edge runtimes, browsers; nothing to install).
 */

/** A delivery that failed verification: `reason` says which check. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: 'missing_headers' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'bad_secret' | 'no_matching_signature';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Headers as a plain object (any case; Node's `req.headers`) or a `Headers` (fetch, edge runtimes). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export type VerifyWebhookOptions = {
  /** How far the `webhook-timestamp` may be from now, either way, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The time to check against (default now). */
  now?: Date;
};

/** What an Uptake delivery carries (standard format). */
export type WebhookPayload = { type: string; timestamp: string; data: Record<string, unknown> };

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares two strings in time that depends only on their length, not on where they differ. */
function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Checks that a delivery comes from Uptake and is fresh, and answers its payload: the
 * `webhook-signature` must hold a `v1,` signature made with `secret` (the `whsec_…` of the
 * endpoint) over `<webhook-id>.<webhook-timestamp>.<body>`, and the timestamp must be within
 * `toleranceSeconds` of now. Pass the body exactly as received (the raw text, before any JSON
 * parsing). Throws `WebhookVerificationError` otherwise. Dedupe on `webhook-id`: a retry has
 * the same one.
 *
 * @example
 * import { verifyWebhook } from '@uptake/client';
 *
 * const payload = await verifyWebhook(process.env.UPTAKE_WEBHOOK_SECRET!, request.headers, rawBody);
 * if (payload.type === 'segment.entered') console.log(payload.data);
 */
export async function verifyWebhook(secret: string, headers: WebhookHeaders, body: string | Uint8Array, options: VerifyWebhookOptions = {}): Promise<WebhookPayload> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp must be whole seconds since 1970');
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Number(timestamp) < now - tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s old`);
  if (Number(timestamp) > now + tolerance) throw new WebhookVerificationError('timestamp_too_new', `webhook-timestamp is more than ${tolerance} s ahead`);

  let keyBytes: Uint8Array<ArrayBuffer>;
  try {
    keyBytes = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new WebhookVerificationError('bad_secret', 'the secret is not whsec_ followed by base64');
  }
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signed = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${text}`));
  const expected = bytesToBase64(new Uint8Array(signed));
  // Every signature is compared (one per secret during a rotation), without stopping at a match.
  let matched = false;
  for (const signature of signatures.split(' ')) {
    const [version, value] = signature.split(',', 2);
    if (version === 'v1' && value !== undefined && timingSafeEqual(value, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'no signature in webhook-signature matches this secret');
  return JSON.parse(text) as WebhookPayload;
}
