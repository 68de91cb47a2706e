// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { measureAll } from '../scripts/size.ts';

describe('widget sizes', () => {
  it('keeps each widget entry ≤ 4 KB brotli on top of the core, and the script tag in its budget', async () => {
    const rows = await measureAll();
    const widgets = rows.filter((row) => /^(nps|progress):/.test(row.name));
    expect(widgets.map((row) => row.name)).toHaveLength(4);
    for (const row of widgets) expect(row.brotli, row.name).toBeLessThanOrEqual(4096);
    // The script tag's ceiling: the 2560 B goal plus 80 B for consent (remembered choice, GPC,
    // anonymous mode; docs/benchmarks.md "SDK size" says why it was raised).
    expect(rows.find((row) => row.name.startsWith('script tag'))!.brotli).toBeLessThanOrEqual(2640);
  }, 60_000);
});
