// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { measureAll } from '../scripts/size.ts';

describe('bundle size', () => {
  it('keeps the core under 3 KB brotli', async () => {
    const rows = await measureAll();
    const core = rows.find((row) => row.name.startsWith('core'))!;
    const all = rows.find((row) => row.name.startsWith('app: every call'))!;
    const small = rows.find((row) => row.name.startsWith('app: init + identify'))!;
    expect(core.brotli).toBeLessThanOrEqual(3072);
    expect(all.brotli).toBeLessThanOrEqual(3072);
    // Tree-shaking works: an app that imports less ships less.
    expect(small.minified).toBeLessThan(all.minified);
    expect(all.minified).toBeLessThan(core.minified);
  }, 60_000);
});
