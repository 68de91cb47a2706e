import { isNumbering, type Numbering } from './id-numbers.ts';

/**
 * Estimated heap bytes of a computed figure (plain data: objects, arrays, Maps, Sets, strings,
 * numbers, typed arrays), for the figure cache's byte bound. Generous rather than exact: strings
 * count two bytes a character, every object and slot a header. Numberings met inside are not
 * counted but collected in `numberings` (several figures share one; the cache counts it once).
 *
 * Cached figures are never changed once computed, so the estimate of a large collection is kept
 * (by identity) and used again when a later figure holds the same one: the kept days before a
 * window figure's last day (query/window-split.ts) are sized once, not on every refresh.
 *
 * @example
 * estimateBytes({ ids: ['a', 'b'] }, new Set()) // ≈ 120
 */
export function estimateBytes(value: unknown, numberings: Set<Numbering>, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return 16 + 2 * value.length;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return 8;
    case 'object':
      break;
    default:
      return 16;
  }
  if (value === null) return 8;
  // Figures are trees a few levels deep; anything deeper is counted as a plain object.
  if (depth > 32) return 64;
  if (isNumbering(value)) {
    numberings.add(value);
    return 8;
  }
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
  const size = Array.isArray(value) ? value.length : value instanceof Map || value instanceof Set ? value.size : 0;
  if (size < KEPT_FROM) return bytesOf(value, numberings, depth);
  let kept = estimates.get(value);
  if (!kept) {
    const inside = new Set<Numbering>();
    estimates.set(value, (kept = { bytes: bytesOf(value, inside, depth), numberings: [...inside] }));
  }
  for (const numbering of kept.numberings) numberings.add(numbering);
  return kept.bytes;
}

/**
 * The bytes of a collection's items: every item's, or for a large collection whose items hold no
 * numbering, those of an even sample of them scaled to all (the figures' large collections are
 * tens of thousands of items of one shape: a user's facts, an id and its score).
 */
function itemsBytes<T>(items: Iterable<T>, size: number, bytesOfItem: (item: T) => number, numberings: Set<Numbering>): number {
  if (size < SAMPLED_FROM) {
    let bytes = 0;
    for (const item of items) bytes += bytesOfItem(item);
    return bytes;
  }
  const every = Math.floor(size / SAMPLE);
  const known = numberings.size;
  let sampled = 0;
  let bytes = 0;
  // Items at irregular steps averaging `every` (a fixed step would beat in time with a pattern in the items).
  let random = 1;
  let next = 0;
  let index = 0;
  for (const item of items) {
    if (index++ !== next) continue;
    bytes += bytesOfItem(item);
    sampled++;
    random = (random * 48271) % 2147483647;
    next += 1 + Math.floor(every / 2) + (random % every);
  }
  // A numbering inside: the items are parts, not rows of one shape; every one is counted.
  if (numberings.size > known) {
    bytes = 0;
    for (const item of items) bytes += bytesOfItem(item);
    return bytes;
  }
  return Math.round((bytes / sampled) * size);
}
const SAMPLED_FROM = 4096;
const SAMPLE = 1024;

/** Collections at least this large keep their estimate; smaller ones cost less to walk again than to look up. */
const KEPT_FROM = 256;
const estimates = new WeakMap<object, { bytes: number; numberings: readonly Numbering[] }>();

function bytesOf(value: object, numberings: Set<Numbering>, depth: number): number {
  if (Array.isArray(value)) return 32 + 8 * value.length + itemsBytes(value, value.length, (item) => (typeof item === 'number' ? 0 : estimateBytes(item, numberings, depth + 1)), numberings);
  if (value instanceof Map) return 64 + 40 * value.size + itemsBytes(value, value.size, ([key, item]) => estimateBytes(key, numberings, depth + 1) + estimateBytes(item, numberings, depth + 1), numberings);
  if (value instanceof Set) return 64 + 32 * value.size + itemsBytes(value, value.size, (item) => estimateBytes(item, numberings, depth + 1), numberings);
  let bytes = 32;
  // Without Object.entries: no array per object (a figure holds tens of thousands of them).
  for (const key in value) {
    if (Object.hasOwn(value, key)) bytes += 16 + 2 * key.length + estimateBytes((value as Record<string, unknown>)[key], numberings, depth + 1);
  }
  return bytes;
}
