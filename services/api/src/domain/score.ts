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
  return Math.round((100 * countBelow(sortedAscending, score)) / (n - 1));
}

/**
 * Percentile of one id's current score against a score table that may be older (project-wide
 * figures refresh within their staleness bound, docs/api.md): ranked as if the table held the
 * current score in place of the id's own entry (`ownEntry`; undefined when the table does not
 * have the id yet, which then counts as one more). So it is within 0–100 whatever the table, and
 * equals {@link percentileOf} when the table is current (its own entry is then the score).
 *
 * @example
 * percentileAgainst([0, 1, 2], 5, 2) // 100: both others are lower (not 150)
 */
export function percentileAgainst(sortedAscending: ArrayLike<number>, score: number, ownEntry: number | undefined): number {
  const n = sortedAscending.length + (ownEntry === undefined ? 1 : 0);
  if (n <= 1) return 0;
  const below = countBelow(sortedAscending, score) - (ownEntry !== undefined && ownEntry < score ? 1 : 0);
  return Math.round((100 * below) / (n - 1));
}

/** How many scores of the ascending list are strictly lower than `score` (binary search). */
function countBelow(sortedAscending: ArrayLike<number>, score: number): number {
  let low = 0;
  let high = sortedAscending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sortedAscending[mid]! < score) low = mid + 1;
    else high = mid;
  }
  return low;
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
