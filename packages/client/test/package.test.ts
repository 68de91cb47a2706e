import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from '@uptake/protocol';
import { describe, expect, it } from 'vitest';
import { BATCH_LIMITS } from '../src/index.ts';

const root = join(import.meta.dirname, '..');
const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  // Comments (JSDoc examples show imports) are left out.
  .map((file) => ({ file, text: readFileSync(join(root, 'src', file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '') }));
/** Every `import … from '…'` / `export … from '…'` / `import('…')` with the words before the specifier. */
const imports = sources.flatMap(({ file, text }) =>
  [...text.matchAll(/^\s*(import|export)\s+([^;]*?)\s*from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)].map((match) => ({
    file,
    kind: match[1] ?? 'dynamic',
    clause: match[2] ?? '',
    specifier: (match[3] ?? match[4])!,
  })),
);

describe('the package', () => {
  it('loads nothing at run time but its own files: zod and @uptake/protocol only through import type', () => {
    expect(sources.length).toBeGreaterThan(3);
    for (const { file, kind, clause, specifier } of imports) {
      if (specifier.startsWith('./')) continue;
      expect({ file, specifier, typeOnly: kind !== 'dynamic' && /^type\s/.test(clause) }).toEqual({ file, specifier, typeOnly: true });
      expect(['zod', '@uptake/protocol']).toContain(specifier);
    }
    expect(imports.some(({ specifier }) => specifier === '@uptake/protocol')).toBe(true);
  });

  it('uses no Node API', () => {
    for (const { file, text } of sources) {
      expect({ file, node: /\b(process|Buffer|require)\b|from 'node:/.test(text) }).toEqual({ file, node: false });
    }
  });

  it('has no runtime dependency but the protocol (for its types), and no zod', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({ '@uptake/protocol': 'workspace:*' });
    expect(pkg.peerDependencies).toBeUndefined();
    expect(pkg).toMatchObject({ name: '@uptake/client', type: 'module', sideEffects: false, exports: { '.': './src/index.ts' } });
  });

  it('splits batches by the protocol limits', () => {
    expect(BATCH_LIMITS).toEqual({ maxEvents: LIMITS.maxEventsPerBatch, maxBytes: LIMITS.maxBatchBytes });
  });
});
