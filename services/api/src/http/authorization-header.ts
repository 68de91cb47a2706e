/**
 * The scheme (lower case) and the credentials of an `Authorization` header: a scheme, spaces, one
 * token (RFC 9110 §11.4), with the spaces or tabs HTTP allows around a header's value. Anything
 * else is no credentials at all: a second word after the token, or other whitespace (a no-break
 * space, a line separator) where a space belongs.
 *
 * @example
 * authorizationParts('Bearer  sk_abc ') // { scheme: 'bearer', credentials: 'sk_abc' }
 * authorizationParts('Bearer sk_abc extra') // undefined
 */
export function authorizationParts(header: unknown): { scheme: string; credentials: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]+([^\s]+)[ \t]*$/.exec(header);
  return match ? { scheme: match[1]!.toLowerCase(), credentials: match[2]! } : undefined;
}

/** The token of `Authorization: Bearer <token>`; undefined for any other header or none. */
export function bearerToken(header: unknown): string | undefined {
  const parts = authorizationParts(header);
  return parts?.scheme === 'bearer' ? parts.credentials : undefined;
}
