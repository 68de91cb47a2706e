/**
 * Rollup builds of the SDK, shared by `pnpm build`, `pnpm bench:size` and the size test.
 * Uses rollup's JS API so that it runs from a clean checkout (no dist/ needed).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import terserModule from '@rollup/plugin-terser';
import typescriptModule from '@rollup/plugin-typescript';
import { rollup, type Plugin } from 'rollup';
import * as storedFormat from '../src/stored-format.ts';

// Both plugins ship CommonJS-style typings; at run time (ESM) the default import is the function.
const defaultExport = <T>(module: T): T extends { default: infer F } ? F : T =>
  ((module as { default?: unknown }).default ?? module) as never;
const terser = defaultExport(terserModule);
const typescript = defaultExport(typescriptModule);

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(packageDir, 'dist');
const tsconfig = join(packageDir, 'tsconfig.json');

/** terser as an app's bundler would minify the ESM build (only options that are safe for any code). */
export const minify = (): Plugin => terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: false } }) as Plugin;

/**
 * Property names that exist only inside the single-file script tag (the transport's, public in the
 * ESM build through `createUptake(options, deps)`), so terser may rename them there. Never add a
 * key that goes on the wire, into storage, into `Options` / `data-*` / error reports / the `uptake` API, nor one a DOM or built-in object also has
 * (`get`, `set`, `keys`, `now`, `random`, `status`, `body`, `page` …): terser renames every use of the
 * name. (terser leaves names it knows from the DOM alone anyway, e.g. `storage`, `transport`, `hide`.)
 */
const SCRIPT_TAG_PRIVATE_PROPERTIES = /^(post|beacon|retryAfter|storage|transport|privacySignal)$/;

/**
 * terser for the script tag we ship: as `minify`, plus the private property names above and
 * `unsafe_arrows` (the bundle's IIFE wrapper becomes an arrow; the SDK never uses `this`).
 */
const minifyScriptTag = (): Plugin =>
  terser({
    ecma: 2020,
    compress: { passes: 2, unsafe_arrows: true },
    mangle: { properties: { regex: SCRIPT_TAG_PRIVATE_PROPERTIES, builtins: true } },
    format: { comments: false },
  }) as Plugin;

/**
 * The field names of the stored identity and session: the one-letter string constants of
 * src/stored-format.ts. The source says `identity[USER_ID]`, every build `identity.u`.
 */
const STORED_FIELDS = new Map(
  Object.entries(storedFormat).flatMap(([name, value]) => (/^[A-Z_]+$/.test(name) && typeof value == 'string' && value.length == 1 ? [[name, value] as const] : [])),
);

/**
 * Property names of the SDK's internal objects, which no code outside src/ sees: today the page
 * hooks (`PageHooks` in src/core.ts, between the core and the browser layer). Every build (the ESM
 * files, the script tag, the bench) gives them one-letter names, so internal names can be readable
 * at no cost in bytes. The build renames every property of these names, whatever its object: a name
 * here must never be a property of anything else (a wire, storage, `Options`, `CoreDeps`, `data-*`,
 * error-report or `uptake` API key, or a DOM or built-in name such as `add`, `clear`, `get`).
 */
export const INTERNAL_PROPERTIES = ['pageHidden', 'backOnline', 'maySend', 'saveQueue', 'sendNow', 'sendBeforeHiding', 'retryNow', 'stopRetrying', 'report'];

/** Each internal property name's short name in the builds. */
const SHORT_NAMES = new Map(INTERNAL_PROPERTIES.map((name, index) => [name, String.fromCharCode(97 + index)]));

type AstNode = { type: string; start: number; end: number; [key: string]: unknown };

/**
 * Build-time renames in the compiled source: the stored field names in place of their constants
 * (terser keeps a constant used often in a variable, and `o[u]` where `o.u` would do), and the
 * short names of {@link INTERNAL_PROPERTIES}. Replacements are padded to the original's length so
 * that source maps stay right (a shorthand `{ pageHidden }` becomes `{ a:pageHidden }`).
 */
const buildTimeRenames = (): Plugin => ({
  name: 'build-time-renames',
  transform(code, id) {
    if (!/\/src\/.*\.ts$/.test(id)) return null;
    const isStoredFormat = id.endsWith('stored-format.ts');
    const replacements: Array<[start: number, end: number, text: string]> = [];
    const visit = (node: AstNode, parent?: AstNode): void => {
      if (node.type == 'ImportDeclaration' || (node.type == 'ExportNamedDeclaration' && !node.declaration)) return;
      const isPropertyName =
        parent && !parent.computed && ((parent.type == 'MemberExpression' && parent.property == node) || (parent.type == 'Property' && parent.key == node));
      if (node.type == 'Identifier') {
        const name = node.name as string;
        const stored = !isPropertyName && !isStoredFormat ? STORED_FIELDS.get(name) : undefined;
        const short = isPropertyName ? SHORT_NAMES.get(name) : undefined;
        if (stored) replacements.push([node.start, node.end, JSON.stringify(stored).padEnd(node.end - node.start)]);
        else if (short && parent?.type == 'Property' && parent.shorthand) replacements.push([node.start, node.start, short + ':']);
        else if (short) replacements.push([node.start, node.end, short.padEnd(node.end - node.start)]);
      }
      for (const child of Object.values(node)) {
        for (const item of Array.isArray(child) ? child : [child]) {
          if (item && typeof item == 'object' && typeof (item as AstNode).type == 'string') visit(item as AstNode, node);
        }
      }
    };
    visit(this.parse(code) as unknown as AstNode);
    if (!replacements.length) return null;
    let result = code;
    for (const [start, end, text] of replacements.sort((a, b) => b[0] - a[0])) result = result.slice(0, start) + text + result.slice(end);
    return { code: result, map: null };
  },
});

const compile = (declarations: boolean): Plugin[] => [
  typescript({
    tsconfig,
    compilerOptions: declarations ? { declaration: true, outDir: distDir } : { declaration: false, outDir: undefined },
    include: [join(packageDir, 'src/**/*.ts')],
    noForceEmit: false,
  }) as Plugin,
  buildTimeRenames(),
];

/**
 * Output options of the script-tag files. No `"use strict"` prologue: the code is ES module code
 * (strict by construction, type-checked) and never relies on what the prologue changes (`this` of
 * plain functions, assignments to undeclared names, `arguments`, `with`), so it only cost bytes.
 */
const SCRIPT_TAG_OUTPUT = { format: 'iife', strict: false } as const;

/** Writes dist/: ESM + .d.ts, the IIFE `uptake.min.js`, and `sri.json` with each file's sha384. */
export const buildAll = async (): Promise<Record<string, string>> => {
  await mkdir(distDir, { recursive: true });
  const esm = await rollup({
    input: {
      index: join(packageDir, 'src/index.ts'),
      nps: join(packageDir, 'src/nps.ts'),
      progress: join(packageDir, 'src/progress.ts'),
      messages: join(packageDir, 'src/messages.ts'),
    },
    plugins: [compile(true)],
  });
  const esmOut = await esm.write({ dir: distDir, format: 'es', sourcemap: true });
  await esm.close();
  const iife = await rollup({ input: join(packageDir, 'src/script-tag.ts'), plugins: [compile(false), minifyScriptTag()] });
  const iifeOut = await iife.write({ ...SCRIPT_TAG_OUTPUT, file: join(distDir, 'uptake.min.js'), sourcemap: 'hidden' });
  await iife.close();
  // The widgets for the script tag: one file each, loaded on first use by the widget loader snippet.
  const widgetOut = [];
  for (const name of ['nps', 'progress', 'messages']) {
    const widget = await rollup({ input: join(packageDir, `src/widgets/${name}-tag.ts`), plugins: [compile(false), minifyScriptTag()] });
    widgetOut.push(...(await widget.write({ ...SCRIPT_TAG_OUTPUT, file: join(distDir, `uptake-${name}.min.js`), sourcemap: 'hidden' })).output);
    await widget.close();
  }
  const sri: Record<string, string> = {};
  for (const chunk of [...esmOut.output, ...iifeOut.output, ...widgetOut]) {
    if (chunk.type == 'chunk') sri[chunk.fileName] = `sha384-${createHash('sha384').update(chunk.code).digest('base64')}`;
  }
  await writeFile(join(distDir, 'sri.json'), JSON.stringify(sri, null, 2) + '\n');
  return sri;
};

/**
 * Bundles `code` (an app importing the SDK by relative path into src/) the way an app's bundler would,
 * tree-shaken and minified with terser; returns the minified code. Imports `external` says yes to stay
 * out of the bundle (the widgets are measured on top of the core, which the app already has).
 */
export const bundleApp = async (code: string, format: 'es' | 'iife' = 'es', external?: (id: string) => boolean): Promise<string> => {
  // The script tag's entry runs for its effects; an app's imports are tree-shaken as with `sideEffects: false`.
  const entry = join(packageDir, 'src/__size_entry__.ts');
  const virtual: Plugin = {
    name: 'virtual-entry',
    resolveId: (id) => (id == entry ? entry : null),
    load: (id) => (id == entry ? code : null),
  };
  // The iife format is the script tag itself (its own minifier); `es` is an app importing the SDK.
  const plugins = [virtual, compile(false), format == 'iife' ? minifyScriptTag() : minify()];
  const bundle = await rollup({ input: entry, plugins, treeshake: { moduleSideEffects: format == 'iife' }, ...(external ? { external } : {}) });
  const { output } = await bundle.generate({ ...(format == 'iife' ? SCRIPT_TAG_OUTPUT : { format }), sourcemap: false });
  await bundle.close();
  return output[0].code;
};
