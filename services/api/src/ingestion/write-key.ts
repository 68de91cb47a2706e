/**
 * The write key of an ingestion request, from (in order) `Authorization: Basic base64(key:)`,
 * `Authorization: Bearer key`, or the body's `writeKey` (sendBeacon cannot set headers).
 */
export function writeKeyOf(authorization: string | undefined, bodyWriteKey: unknown): string | undefined {
  if (authorization) {
    const [scheme, value] = authorization.trim().split(/\s+/, 2);
    if (value && scheme?.toLowerCase() === 'bearer') return value;
    if (value && scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const key = decoded.split(':')[0];
      if (key) return key;
    }
  }
  return typeof bodyWriteKey === 'string' && bodyWriteKey ? bodyWriteKey : undefined;
}
