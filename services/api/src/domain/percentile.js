// The percentile, defined once. Plain JavaScript (typed by percentile.d.ts) because the
// dashboard's score preview runs this same file in the browser: dashboard.route.ts serves it at
// /dashboard/figures/percentile.js. It imports nothing, so it runs unchanged in both places.

/** How many scores of the ascending list are strictly lower than `score` (binary search). */
function countBelow(sortedAscending, score) {
  let low = 0;
  let high = sortedAscending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sortedAscending[mid] < score) low = mid + 1;
    else high = mid;
  }
  return low;
}

export function percentRank(sortedAscending, score) {
  const n = sortedAscending.length;
  return n <= 1 ? 0 : countBelow(sortedAscending, score) / (n - 1);
}

export function percentileOf(sortedAscending, score) {
  const n = sortedAscending.length;
  if (n <= 1) return 0;
  // 100 × below ÷ (n − 1), not 100 × percentRank: 100 × 23 / 40 is 57.5 (rounds to 58) where
  // 100 × (23 / 40) is 57.4999… (would round to 57).
  return Math.round((100 * countBelow(sortedAscending, score)) / (n - 1));
}

export function percentileAgainst(sortedAscending, score, ownEntry) {
  const n = sortedAscending.length + (ownEntry === undefined ? 1 : 0);
  if (n <= 1) return 0;
  const below = countBelow(sortedAscending, score) - (ownEntry !== undefined && ownEntry < score ? 1 : 0);
  return Math.round((100 * below) / (n - 1));
}
