import { LIMITS } from './limits.ts';

export type ValueProblem = { path: string; message: string };

/**
 * Finds the first part of a parsed JSON value that Postgres cannot store or that no analytics
 * payload needs: nesting deeper than {@link LIMITS.maxDepth}, NUL characters, or lone UTF-16
 * surrogates (jsonb and text reject both). Iterative, so hostile nesting cannot overflow the stack.
 */
export function findUnstorableValue(value: unknown, basePath = ''): ValueProblem | undefined {
  // Paths are built only for a problem found: walking is per event and per key, on the hot path.
  type Frame = { value: unknown; key: string | number | undefined; parent: Frame | undefined; depth: number };
  const pathOf = (frame: Frame): string => {
    let path = '';
    for (let at: Frame | undefined = frame; at?.parent; at = at.parent) {
      path = typeof at.key === 'number' ? `[${at.key}]${path}` : `.${printable(at.key!)}${path}`;
    }
    const joined = basePath + path;
    return (joined.startsWith('.') ? joined.slice(1) : joined) || '(root)';
  };
  const stack: Frame[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem) return { path: pathOf(frame), message: problem };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (frame.depth >= LIMITS.maxDepth) return { path: pathOf(frame), message: `nested deeper than ${LIMITS.maxDepth} levels` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], key: i, parent: frame, depth: frame.depth + 1 });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child: Frame = { value: (current as Record<string, unknown>)[key], key, parent: frame, depth: frame.depth + 1 };
      const keyProblem = stringProblem(key);
      if (keyProblem) return { path: pathOf(child), message: `key ${keyProblem}` };
      stack.push(child);
    }
  }
  return undefined;
}

/** A key as it can appear in an error path: the path itself is stored with the warning. */
function printable(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').toWellFormed();
}

/** Why Postgres text cannot hold `text` (a NUL, a lone surrogate); undefined when it can. */
export function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate (invalid Unicode)';
  return undefined;
}

/**
 * The instants a stored time may hold: four-digit years, the years both ISO 8601 without a sign
 * and Postgres `timestamptz` read back (Postgres has no year 0, and JavaScript writes the years
 * outside as `-000001` or `+010000`, which Postgres cannot parse).
 */
export const STORABLE_TIME_RANGE = { earliest: '0001-01-01T00:00:00.000Z', latest: '9999-12-31T23:59:59.999Z' } as const;
const EARLIEST_MS = Date.parse(STORABLE_TIME_RANGE.earliest);
const LATEST_MS = Date.parse(STORABLE_TIME_RANGE.latest);

/** Why a time (an ISO text, or its milliseconds) cannot be stored; undefined when it can. */
export function timeProblem(time: string | number): string | undefined {
  const ms = typeof time === 'number' ? time : Date.parse(time);
  if (ms >= EARLIEST_MS && ms <= LATEST_MS) return undefined;
  return `must be from ${STORABLE_TIME_RANGE.earliest} to ${STORABLE_TIME_RANGE.latest} (UTC)`;
}

const encoder = new TextEncoder();

/**
 * UTF-8 byte length of a value's JSON text when it is above `limit`, else undefined. A UTF-16
 * unit takes at most 3 bytes, so a text of at most limit / 3 units is not encoded to count them.
 */
export function jsonByteLengthAbove(value: unknown, limit: number): number | undefined {
  const text = JSON.stringify(value) ?? '';
  if (text.length * 3 <= limit) return undefined;
  const bytes = encoder.encode(text).length;
  return bytes > limit ? bytes : undefined;
}
