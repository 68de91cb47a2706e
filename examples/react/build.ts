/**
 * `pnpm build`: bundles the app with Vite into dist/ (served by `./uptake start` at
 * /examples/react/) and prints its files: the app with React and the SDK's core, and the widget
 * entries that `<NpsPrompt>` and `<ProgressCard>` download only when they render.
 * `pnpm start`: the same, then tells where to open it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { build, version, type Rolldown } from 'vite';

const here = import.meta.dirname;
const packageDir = (name: string) => realpathSync(join(here, 'node_modules/@uptake', name));

// A fresh clone has no built packages: build them first (a few seconds), the SDK before the bindings.
for (const name of ['browser', 'react']) {
  if (existsSync(join(packageDir(name), 'dist/index.js'))) continue;
  process.stdout.write(`@uptake/${name} is not built yet: building it (pnpm --filter @uptake/${name} build)…\n`);
  execFileSync(process.execPath, ['scripts/build.ts'], { cwd: packageDir(name), stdio: 'ignore' });
}

const started = Date.now();
const app = (await build({ root: here, configFile: join(here, 'vite.config.ts') })) as Rolldown.RolldownOutput;
const seconds = ((Date.now() - started) / 1000).toFixed(1);

const chunks = app.output.filter((file): file is Rolldown.OutputChunk => file.type === 'chunk');
const brotli = (code: string) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const n = (value: number) => value.toLocaleString('en-US').padStart(9);
const lines = [
  `Built dist/ with Vite ${version} in ${seconds} s (served by ./uptake start at http://127.0.0.1:4000/examples/react/).`,
  '',
  `  ${''.padEnd(48)}${'minified'.padStart(11)}${'brotli'.padStart(11)}`,
  ...chunks.map((file) => `  ${`dist/${file.fileName}`.padEnd(48)}${n(Buffer.byteLength(file.code))} B${n(brotli(file.code))} B  ${file.isEntry ? 'the app, React and the SDK core' : 'loaded when a widget renders'}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (process.argv.includes('--open')) {
  const host = process.env['UPTAKE_HOST'] ?? 'http://127.0.0.1:4000';
  const up = await fetch(`${host}/healthz`).then((response) => response.ok, () => false);
  process.stdout.write(up ? `\nOpen ${host}/examples/react/\n` : `\nNo Uptake service at ${host}: run ./uptake start (it serves this app at ${host}/examples/react/).\n`);
}
