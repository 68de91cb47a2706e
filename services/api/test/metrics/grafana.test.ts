import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.ts';

const docs = new URL('../../../../docs/', import.meta.url);

/** The metric names a text uses, histogram series (`_bucket`, `_sum`, `_count`) under their metric's name. */
function metricNames(text: string, defined: Set<string>): Set<string> {
  const names = new Set<string>();
  for (const [name] of text.matchAll(/\buptake_[a-z0-9_]+/g)) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    names.add(defined.has(name) ? name : base);
  }
  return names;
}

describe('the Grafana dashboard and docs/operations.md', () => {
  it('the dashboard is valid JSON whose every panel queries metrics the service defines', async () => {
    const defined = new Set((await createMetrics().scrapeRegistry().getMetricsAsJSON()).map((metric) => metric.name));
    const dashboard = JSON.parse(readFileSync(new URL('grafana/uptake.json', docs), 'utf8'));
    const queries: string[] = dashboard.panels.flatMap((panel: { targets?: Array<{ expr: string }> }) => (panel.targets ?? []).map((target) => target.expr));
    expect(queries.length).toBeGreaterThan(20);
    const used = metricNames(queries.join('\n') + JSON.stringify(dashboard.templating), defined);
    expect([...used].filter((name) => !defined.has(name))).toEqual([]);
    // Every metric of the service's own (not the process defaults) has a panel.
    const own = [...defined].filter((name) => !/^uptake_(process|nodejs)_/.test(name));
    expect(own.filter((name) => !used.has(name))).toEqual([]);
  });

  it('docs/operations.md lists every metric of the service, and names none it does not define', async () => {
    const defined = new Set((await createMetrics().scrapeRegistry().getMetricsAsJSON()).map((metric) => metric.name));
    const page = readFileSync(new URL('operations.md', docs), 'utf8');
    const own = [...defined].filter((name) => !/^uptake_(process|nodejs)_/.test(name));
    expect(own.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
    expect([...metricNames(page, defined)].filter((name) => !defined.has(name))).toEqual([]);
  });
});
