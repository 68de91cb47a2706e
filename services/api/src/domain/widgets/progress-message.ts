/** A feature of the score model as the progress message needs it. */
export type ProgressFeature = { event: string; label: string; weight: number; valueText?: string | undefined };

export type ProgressItem = {
  event: string;
  label: string;
  /** Uses in the current window. */
  count: number;
  /** Uses in the window before it. */
  previousCount: number;
  /** count − previousCount. */
  change: number;
};

export type MissingFeature = { event: string; label: string; weight: number; valueText: string | null };

export type ProgressMessage = { items: ProgressItem[]; missing: MissingFeature[] };

/**
 * What a user (or their account) achieved: each labelled feature used in this window or the one
 * before, with the change, most used first; and the most valuable features (by weight) never
 * used, to suggest next.
 *
 * @example
 * progressMessage(features, new Map([['Report Created', 42]]), new Map([['Report Created', 30]]), new Set(['Report Created']), 3)
 * // → { items: [{ event: 'Report Created', label: 'reports created', count: 42, previousCount: 30, change: 12 }], missing: [...] }
 */
export function progressMessage(
  features: ProgressFeature[],
  current: ReadonlyMap<string, number>,
  previous: ReadonlyMap<string, number>,
  everUsed: ReadonlySet<string>,
  maxMissing: number,
): ProgressMessage {
  const items = features
    .map((feature) => {
      const count = current.get(feature.event) ?? 0;
      const previousCount = previous.get(feature.event) ?? 0;
      return { event: feature.event, label: feature.label, count, previousCount, change: count - previousCount };
    })
    .filter((item) => item.count > 0 || item.previousCount > 0)
    .sort((a, b) => b.count - a.count || b.change - a.change || a.event.localeCompare(b.event));
  const missing = features
    .filter((feature) => feature.weight > 0 && !everUsed.has(feature.event))
    .sort((a, b) => b.weight - a.weight || a.event.localeCompare(b.event))
    .slice(0, maxMissing)
    .map((feature) => ({ event: feature.event, label: feature.label, weight: feature.weight, valueText: feature.valueText ?? null }));
  return { items, missing };
}
