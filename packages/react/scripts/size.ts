/**
 * The bindings' part of `pnpm bench:size`: minified, gzip and brotli bytes of `@uptake/react` on top
 * of the core and React (an app using it has both), measured as packages/browser/scripts/size.ts
 * measures the SDK.
 */
import { measure, type SizeRow } from '../../browser/scripts/size.ts';
import { bundleApp } from './bundle.ts';

const code = async (source: string): Promise<string> => (await bundleApp(source))[0]!.code;

export const measureReact = async (): Promise<SizeRow[]> => [
  measure('react: every export of @uptake/react (ESM, no core)', await code(`export * from './index.ts';`)),
  measure(
    'react: UptakeProvider + useTrack + usePageViews',
    await code(`export { UptakeProvider, useTrack, usePageViews } from './index.ts';`),
  ),
];

if (import.meta.url == `file://${process.argv[1]}`) {
  const pad = (value: string | number, width: number) => String(value).padStart(width);
  for (const row of await measureReact()) console.log(`${row.name.padEnd(46)}${pad(row.minified, 8)}${pad(row.gzip, 8)}${pad(row.brotli, 10)}`);
  console.log('\nbudget: @uptake/react ≤ 1280 B brotli on top of the core and React (test/bundle.test.ts); the widgets load on demand, from their own entries');
}
