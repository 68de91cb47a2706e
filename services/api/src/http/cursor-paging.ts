import { HttpError } from './errors.ts';

/** A cursor: the parts that locate the previous page's last entry, as JSON in base64url. */
export const encodeCursor = (parts: readonly unknown[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

/**
 * The position a cursor this API returned names: `read` takes its parts and answers undefined when
 * they are not ones the route makes. Anything else is a 400 naming `cursor`, with `problem` as the
 * message after `cursor: `.
 */
export function decodeCursor<T>(cursor: string, read: (parts: unknown[]) => T | undefined, problem = 'is not one this API returned'): T {
  try {
    // Read as a list the way the routes always have, so any iterable JSON value counts.
    const decoded = read([...(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Iterable<unknown>)]);
    if (decoded !== undefined) return decoded;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', `cursor: ${problem}`, { path: 'cursor' });
}

/**
 * One page of `list` (already in page order): `limit` entries from the first that `isAfter` the
 * cursor's position (from the start without one), and the cursor of its last entry when more follow.
 */
export function pageAfter<T>(list: readonly T[], options: { limit: number; isAfter: ((entry: T) => boolean) | undefined; cursorOf: (last: T) => string }) {
  const found = options.isAfter === undefined ? 0 : list.findIndex(options.isAfter);
  const start = found === -1 ? list.length : found;
  const items = list.slice(start, start + options.limit);
  const last = items.at(-1);
  return { items, nextCursor: last !== undefined && start + options.limit < list.length ? options.cursorOf(last) : null };
}
