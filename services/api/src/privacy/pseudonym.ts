import { createHmac, randomBytes } from 'node:crypto';

/** The salt of one deletion's pseudonyms: kept only while it runs, so a rerun re-keys alike. */
export const newDeletionSalt = () => randomBytes(32).toString('base64url');

/**
 * The pseudonym that replaces an id: `deleted:` and an HMAC of the id under the deletion's salt.
 * Once the salt is dropped (when the deletion completes) no one can tell whose it was, and two
 * deletions of the same id give different pseudonyms.
 *
 * @example
 * pseudonymOf(salt, 'user', 'u1') // 'deleted:3f1c…' (32 hex digits)
 */
export const pseudonymOf = (salt: string, kind: 'user' | 'anonymous' | 'account', id: string) =>
  `deleted:${createHmac('sha256', salt).update(`${kind}\u0000${id}`).digest('hex').slice(0, 32)}`;
