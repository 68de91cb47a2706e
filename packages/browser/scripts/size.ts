/**
 * `pnpm bench:size`: minified, gzip and brotli bytes of each entry point, and of an app that
 * imports only `init + identify + group + track` (tree-shaken and minified as an app's bundler would).
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { bundleApp } from './bundle.ts';

export type SizeRow = { name: string; minified: number; gzip: number; brotli: number };

export const measure = (name: string, code: string): SizeRow => ({
  name,
  minified: Buffer.byteLength(code),
  gzip: gzipSync(code, { level: 9 }).length,
  brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

/** The core's entry, left out of the widget measurements. */
const isCore = (id: string): boolean => /(^|\/)index\.(js|ts)$/.test(id);

/** Builds and measures every entry point; used by the bench and by test/size.test.ts. */
export const measureAll = async (): Promise<SizeRow[]> => [
  measure('core: every export of @uptake/browser (ESM)', await bundleApp(`export * from './index.ts';`)),
  measure(
    'app: every call of the default instance',
    await bundleApp(
      `import { init, identify, group, track, page, flush, reset, consent, onError } from './index.ts';
init({ writeKey: 'wk', host: 'https://uptake.example.com', consent: 'pending' });
onError(console.log); consent(true); identify('u1'); group('a1'); track('Report Created'); page(); flush(); reset();`,
    ),
  ),
  measure(
    'app: init + identify + group + track',
    await bundleApp(
      `import { init, identify, group, track } from './index.ts';
init({ writeKey: 'wk', host: 'https://uptake.example.com' });
identify('u1'); group('a1'); track('Report Created');`,
    ),
  ),
  measure('script tag: uptake.min.js (IIFE)', await bundleApp(`import './script-tag.ts';`, 'iife')),
  // The widgets, on top of the core (an app that shows them has the core already).
  measure('nps: @uptake/browser/nps (ESM, no core)', await bundleApp(`export * from './nps.ts';`, 'es', isCore)),
  measure('progress: @uptake/browser/progress (ESM, no core)', await bundleApp(`export * from './progress.ts';`, 'es', isCore)),
  measure('messages: @uptake/browser/messages (ESM, no core)', await bundleApp(`export * from './messages.ts';`, 'es', isCore)),
  measure('nps: uptake-nps.min.js (IIFE)', await bundleApp(`import './widgets/nps-tag.ts';`, 'iife')),
  measure('progress: uptake-progress.min.js (IIFE)', await bundleApp(`import './widgets/progress-tag.ts';`, 'iife')),
  measure('messages: uptake-messages.min.js (IIFE)', await bundleApp(`import './widgets/messages-tag.ts';`, 'iife')),
];

if (import.meta.url == `file://${process.argv[1]}`) {
  const rows = await measureAll();
  const pad = (value: string | number, width: number) => String(value).padStart(width);
  console.log(`${'entry'.padEnd(46)}${pad('min B', 8)}${pad('gzip B', 8)}${pad('brotli B', 10)}`);
  for (const row of rows) console.log(`${row.name.padEnd(46)}${pad(row.minified, 8)}${pad(row.gzip, 8)}${pad(row.brotli, 10)}`);
  console.log('\nbudget: core ≤ 2560 B brotli (goal), test fails above 3072 B; script tag ≤ 2680 B; each widget ≤ 4096 B brotli on top of the core (messages ≤ 3072 B)');
}
