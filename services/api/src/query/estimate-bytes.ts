import { isNumbering, type Numbering } from './id-numbers.ts';

/**
 * Estimated heap bytes of a computed figure (plain data: objects, arrays, Maps, Sets, strings,
 * numbers, typed arrays), for the figure cache's byte bound. Generous rather than exact: strings
 * count two bytes a character, every object and slot a header. Numberings met inside are not
 * counted but collected in `numberings` (several figures share one; the cache counts it once).
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
  if (Array.isArray(value)) {
    let bytes = 32 + 8 * value.length;
    for (const item of value) bytes += typeof item === 'number' ? 0 : estimateBytes(item, numberings, depth + 1);
    return bytes;
  }
  if (value instanceof Map) {
    let bytes = 64 + 40 * value.size;
    for (const [key, item] of value) bytes += estimateBytes(key, numberings, depth + 1) + estimateBytes(item, numberings, depth + 1);
    return bytes;
  }
  if (value instanceof Set) {
    let bytes = 64 + 32 * value.size;
    for (const item of value) bytes += estimateBytes(item, numberings, depth + 1);
    return bytes;
  }
  let bytes = 32;
  for (const [key, item] of Object.entries(value)) bytes += 16 + 2 * key.length + estimateBytes(item, numberings, depth + 1);
  return bytes;
}
