// @vitest-environment node
/**
 * What an app's bundler makes of the bindings: the widget entries are reached only through
 * `import()` (a separate download, when a widget renders), an app without the widget components
 * has no trace of them, and the bindings stay small on top of the core.
 */
import type { OutputChunk } from 'rollup';
import { beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../browser/scripts/size.ts';
import { bundleApp } from '../scripts/bundle.ts';

/** The static `import … from '…'` specifiers of a minified chunk. */
const staticImports = (code: string) => [...code.matchAll(/(?:^|;)\s*import\s*(?:[^'"();]*?from\s*)?["']([^"']+)["']/g)].map((match) => match[1]);
const dynamicImports = (code: string) => [...code.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);

describe('the bindings in an app bundle', () => {
  let everything: OutputChunk[];
  let withoutWidgets: OutputChunk[];
  beforeAll(async () => {
    everything = await bundleApp(`export * from './index.ts';`);
    withoutWidgets = await bundleApp(`export { UptakeProvider, useUptake, useTrack, usePageViews } from './index.ts';`);
  }, 120_000);

  it('load the NPS and progress entries only through import(), never up front', () => {
    const [entry, ...others] = everything;
    expect(others).toEqual([]);
    expect(new Set(staticImports(entry!.code))).toEqual(new Set(['react/jsx-runtime', 'react', '@uptake/browser']));
    expect(dynamicImports(entry!.code).sort()).toEqual(['@uptake/browser/nps', '@uptake/browser/progress']);
  });

  it('leave the widget components out of an app that does not use them', () => {
    const [entry] = withoutWidgets;
    expect(dynamicImports(entry!.code)).toEqual([]);
    expect(entry!.code).not.toContain('@uptake/browser/');
    expect(new Set(staticImports(entry!.code))).toEqual(new Set(['react/jsx-runtime', 'react', '@uptake/browser']));
  });

  it('cost at most 1,280 B brotli on top of the core, all exports included', () => {
    expect(measure('react', everything[0]!.code).brotli).toBeLessThanOrEqual(1280);
  });
});
