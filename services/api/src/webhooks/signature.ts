import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (docs/webhooks.md): a secret is `whsec_` + base64 of random bytes; the
 * HMAC-SHA256 key is those bytes; the signed content is `<webhook-id>.<webhook-timestamp>.<body>`.
 */

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes. */
export const newWebhookSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64');

/** `v1,<base64 HMAC-SHA256>` of one message with one secret. */
export function signatureOf(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * The headers of one attempt: `webhook-signature` carries one signature per secret in effect,
 * space separated (the current one, and the previous one during a rotation's overlap).
 *
 * @example
 * signedHeaders(['whsec_…'], 'msg_tr_42', new Date(), '{"type":"segment.entered",…}')
 * // { 'webhook-id': 'msg_tr_42', 'webhook-timestamp': '1796400000', 'webhook-signature': 'v1,K5o…=' }
 */
export function signedHeaders(secrets: readonly string[], messageId: string, now: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signatureOf(secret, messageId, timestamp, body)).join(' '),
  };
}
