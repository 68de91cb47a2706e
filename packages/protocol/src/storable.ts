import { LIMITS } from './limits.ts';

export type ValueProblem = { path: string; message: string };

/**
 * Finds the first part of a parsed JSON value that Postgres cannot store or that no analytics
 * payload needs: nesting deeper than {@link LIMITS.maxDepth}, NUL characters, or lone UTF-16
 * surrogates (jsonb and text reject both). Iterative, so hostile nesting cannot overflow the stack.
 */
export function findUnstorableValue(value: unknown, basePath = ''): ValueProblem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: basePath, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem) return { path: path || '(root)', message: problem };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= LIMITS.maxDepth) {
      return { path: path || '(root)', message: `nested deeper than ${LIMITS.maxDepth} levels` };
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const childPath = path ? `${path}.${printable(key)}` : printable(key);
      const keyProblem = stringProblem(key);
      if (keyProblem) return { path: childPath, message: `key ${keyProblem}` };
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

/** A key as it can appear in an error path: the path itself is stored with the warning. */
function printable(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').toWellFormed();
}

function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate (invalid Unicode)';
  return undefined;
}

const encoder = new TextEncoder();

/** UTF-8 byte length of a value's JSON text. */
export function jsonByteLength(value: unknown): number {
  return encoder.encode(JSON.stringify(value) ?? '').length;
}
