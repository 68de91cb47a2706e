import { HttpError } from '../http/errors.ts';
import { authorizationParts } from '../http/authorization-header.ts';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+$/;

/**
 * The write key of a request, from (in order) `Authorization: Basic base64(key:)`,
 * `Authorization: Bearer key`, or a fallback (the body's `writeKey`, as sendBeacon cannot set
 * headers, or a widget's `?writeKey=`). A Basic header that is not base64 → 401.
 */
export function writeKeyOf(authorization: unknown, fallback: unknown): string | undefined {
  const parts = authorizationParts(authorization);
  if (parts) {
    const { scheme, credentials: value } = parts;
    if (scheme === 'bearer') return value;
    if (scheme === 'basic') {
      if (!BASE64.test(value)) throw new HttpError(401, 'invalid_write_key', 'writeKey: Authorization: Basic must be base64 of "writeKey:"', { path: 'writeKey' });
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const key = decoded.split(':')[0];
      if (key) return key;
    }
  }
  return typeof fallback === 'string' && fallback ? fallback : undefined;
}
