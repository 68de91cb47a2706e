/**
 * Percentile of a score among the scores of everyone seen so far:
 * round(100 × percent_rank), percent_rank = (#strictly lower) ÷ (n − 1), 0 when n ≤ 1.
 *
 * @example
 * percentileOf([0, 1, 1, 5], 1) // 33: one of the three others is lower
 */
export function percentileOf(sortedAscending: ArrayLike<number>, score: number): number {
  const n = sortedAscending.length;
  if (n <= 1) return 0;
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sortedAscending[mid]! < score) low = mid + 1;
    else high = mid;
  }
  return Math.round((100 * low) / (n - 1));
}

/** round() with halves away from zero, as Postgres rounds numerics (−12.5 → −13). */
export function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

export type FeatureCount = { event: string; label: string; weight: number; count: number };

/** The per-feature breakdown of a score (features with a count), by event name. */
export function scoreBreakdown(features: FeatureCount[]): { score: number; breakdown: Array<FeatureCount & { points: number }> } {
  const breakdown = features
    .filter((feature) => feature.count > 0)
    .map((feature) => ({ ...feature, points: feature.weight * feature.count }))
    .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
  return { score: breakdown.reduce((sum, item) => sum + item.points, 0), breakdown };
}
