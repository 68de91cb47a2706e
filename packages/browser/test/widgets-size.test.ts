// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { measureAll } from '../scripts/size.ts';

describe('widget sizes', () => {
  it('keeps each widget entry ≤ 4 KB brotli on top of the core, and the script tag in its budget', async () => {
    const rows = await measureAll();
    const widgets = rows.filter((row) => /^(nps|progress):/.test(row.name));
    expect(widgets.map((row) => row.name)).toHaveLength(4);
    for (const row of widgets) expect(row.brotli, row.name).toBeLessThanOrEqual(4096);
    // The widget loader's hook in the script tag must not push it over the core's goal.
    expect(rows.find((row) => row.name.startsWith('script tag'))!.brotli).toBeLessThanOrEqual(2560);
  }, 60_000);
});
