/**
 * `pnpm build`: bundles the app with Vite into dist/ (served by `./uptake start` at
 * /examples/bundler-app/) and shows tree-shaking at work: the SDK code this app ships against
 * all of @uptake/browser, each bundled and minified the same way.
 * `pnpm start`: the same, then tells where to open it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, version, type Plugin, type Rolldown } from 'vite';

const here = import.meta.dirname;
const sdk = realpathSync(join(here, 'node_modules/@uptake/browser'));

// A fresh clone has no built SDK: build it first (a few seconds).
if (!existsSync(join(sdk, 'dist/index.js'))) {
  process.stdout.write('@uptake/browser is not built yet: building it (pnpm --filter @uptake/browser build)…\n');
  execFileSync(process.execPath, ['scripts/build.ts'], { cwd: sdk, stdio: 'ignore' });
}

const started = Date.now();
const app = (await build({ root: here, configFile: join(here, 'vite.config.ts') })) as Rolldown.RolldownOutput;
const seconds = ((Date.now() - started) / 1000).toFixed(1);

/** One entry made of `code`, bundled and minified as the app is, in memory; its size. */
const bundleOf = async (code: string) => {
  const id = '\0entry.js';
  const entry: Plugin = { name: 'entry', resolveId: (source) => (source === 'entry' ? id : null), load: (source) => (source === id ? code : null) };
  const output = (await build({
    root: here,
    configFile: false,
    logLevel: 'silent',
    plugins: [entry],
    build: { write: false, minify: true, reportCompressedSize: false, rolldownOptions: { input: 'entry', preserveEntrySignatures: 'strict' } },
  })) as Rolldown.RolldownOutput;
  return sizes(output.output.filter((file) => file.type === 'chunk').map((file) => file.code).join('\n'));
};

const sizes = (code: string) => {
  const bytes = Buffer.from(code);
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const n = (value: number) => value.toLocaleString('en-US').padStart(7);
const row = (label: string, size: ReturnType<typeof sizes>) => `  ${label.padEnd(58)}${n(size.min)} B${n(size.gzip)} B${n(size.brotli)} B`;

// What main.ts imports from the SDK, read from its import lines.
const main = readFileSync(join(here, 'src/main.ts'), 'utf8');
const imports = [...main.matchAll(/^import \{([^}]+)\} from '(@uptake\/browser[^']*)';/gm)].map(([, names, from]) => ({ names: names!.split(',').map((name) => name.trim()), from: from! }));
const used = await bundleOf(imports.map(({ names, from }) => `export { ${names.join(', ')} } from '${from}';`).join('\n'));
const coreOnly = await bundleOf("export { init, identify, group, track } from '@uptake/browser';");
const all = await bundleOf(['@uptake/browser', '@uptake/browser/nps', '@uptake/browser/progress'].map((from) => `export * from '${from}';`).join('\n'));

const js = app.output.filter((file) => file.type === 'chunk');
const lines = [
  `Built dist/ with Vite ${version} in ${seconds} s (served by ./uptake start at http://127.0.0.1:4000/examples/bundler-app/).`,
  '',
  `  ${''.padEnd(58)}${'minified'.padStart(9)}${'gzip'.padStart(9)}${'brotli'.padStart(9)}`,
  ...js.map((file) => row(`dist/${file.fileName} (the app)`, sizes(file.code))),
  row('  of which @uptake/browser: what the app imports', used),
  row('all of @uptake/browser (core, nps, progress)', all),
  row('an app importing only init, identify, group, track', coreOnly),
  '',
  `Tree-shaking: this app imports ${imports.map(({ names, from }) => `${names.join(', ')} from ${from}`).join('; ')}:`,
  `the bundler left ${(all.min - used.min).toLocaleString('en-US')} B (minified) of the SDK out. An app without the widgets ships ${coreOnly.brotli.toLocaleString('en-US')} B brotli`,
  `of SDK instead of ${all.brotli.toLocaleString('en-US')} B: the widgets reach only the apps that import them.`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (process.argv.includes('--open')) {
  const host = process.env['UPTAKE_HOST'] ?? 'http://127.0.0.1:4000';
  const up = await fetch(`${host}/healthz`).then((response) => response.ok, () => false);
  process.stdout.write(
    up
      ? `\nOpen ${host}/examples/bundler-app/\n`
      : `\nNo Uptake service at ${host}: run ./uptake start (it serves this app at ${host}/examples/bundler-app/).\n`,
  );
}
