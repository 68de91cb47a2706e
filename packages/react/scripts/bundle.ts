/**
 * Rollup builds of the bindings, shared by `pnpm build`, `pnpm bench:size` and the bundle test.
 * React and `@uptake/browser` stay outside: an app that uses the bindings has both already.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import typescriptModule from '@rollup/plugin-typescript';
import { rollup, type OutputChunk, type Plugin } from 'rollup';
import { minify } from '../../browser/scripts/bundle.ts';

// The plugin ships CommonJS-style typings; at run time (ESM) the default import is the function.
const typescript = ((typescriptModule as { default?: unknown }).default ?? typescriptModule) as typeof typescriptModule.default;

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(packageDir, 'dist');
const sdkDir = join(packageDir, '../browser');

/** React, its JSX runtime and the SDK's entries: imported, never bundled. */
export const isExternal = (id: string): boolean => /^(react|react-dom|@uptake\/browser)(\/|$)/.test(id);

const compile = (declarations: boolean): Plugin =>
  typescript({
    tsconfig: join(packageDir, 'tsconfig.json'),
    // The build resolves `@uptake/browser` as an app would (its dist/ types), not through the sources.
    compilerOptions: declarations ? { noEmit: false, declaration: true, outDir: distDir, rootDir: join(packageDir, 'src'), paths: {} } : { noEmit: false, declaration: false },
    include: [join(packageDir, 'src/**/*.ts'), join(packageDir, 'src/**/*.tsx')],
    noForceEmit: false,
  }) as Plugin;

/** Writes dist/: `index.js` (ESM) and its `.d.ts`. Builds `@uptake/browser` first when its dist/ is missing. */
export const build = async (): Promise<void> => {
  if (!existsSync(join(sdkDir, 'dist/index.d.ts'))) execFileSync(process.execPath, ['scripts/build.ts'], { cwd: sdkDir, stdio: 'ignore' });
  const bundle = await rollup({ input: join(packageDir, 'src/index.ts'), plugins: [compile(true)], external: isExternal });
  await bundle.write({ dir: distDir, format: 'es', sourcemap: true });
  await bundle.close();
};

/**
 * Bundles `code` (an app importing the bindings by relative path into src/) as an app's bundler
 * would: tree-shaken (`sideEffects: false`) and minified with the SDK's terser options. Returns
 * every chunk; React and the SDK stay imports.
 */
export const bundleApp = async (code: string): Promise<OutputChunk[]> => {
  const entry = join(packageDir, 'src/__size_entry__.ts');
  const virtual: Plugin = { name: 'virtual-entry', resolveId: (id) => (id == entry ? entry : null), load: (id) => (id == entry ? code : null) };
  const bundle = await rollup({ input: entry, plugins: [virtual, compile(false), minify()], treeshake: { moduleSideEffects: false }, external: isExternal });
  const { output } = await bundle.generate({ format: 'es', sourcemap: false });
  await bundle.close();
  return output.filter((file): file is OutputChunk => file.type == 'chunk');
};
