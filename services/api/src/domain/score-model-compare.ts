/**
 * Score-model comparison (docs/api.md, "Comparing two score models"): how two model versions rank
 * the same ids. Pure: the query layer hands in the two score tables.
 */

/**
 * Ranks by score descending, 1 the highest; tied scores share the average of the ranks they hold
 * (two tied for first both get 1.5).
 *
 * @example
 * averageRanks(new Map([['a', 5], ['b', 5], ['c', 1]])) // Map { a → 1.5, b → 1.5, c → 3 }
 */
export function averageRanks(scores: ReadonlyMap<string, number>): Map<string, number> {
  const ids = [...scores.keys()];
  const ranks = ranksOf(Float64Array.from(scores.values()));
  return new Map(ids.map((id, index) => [id, ranks[index]!]));
}

/** `averageRanks` by position: the rank of each of `scores` (a typed array: no object per id, which at 50 k ids the comparison after each new event felt). */
function ranksOf(scores: Float64Array): Float64Array {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let index = 0; index < n; index += 1) order[index] = index;
  order.sort((x, y) => scores[y]! - scores[x]!);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    // Positions start … end (0-based) hold ranks start+1 … end+1: their mean.
    const rank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index += 1) ranks[order[index]!] = rank;
    start = end + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: the Pearson correlation of the average ranks of the same ids under
 * two rankings (exact with ties, unlike 1 − 6Σd²/(n(n²−1))). Null with fewer than two ids or when
 * one ranking has every id tied (no variance).
 *
 * @example
 * spearman([1, 2, 3], [1, 2, 3]) // 1
 * spearman([1, 2, 3], [3, 2, 1]) // -1
 */
export function spearman(ranksA: ArrayLike<number>, ranksB: ArrayLike<number>): number | null {
  const n = ranksA.length;
  if (n < 2 || ranksB.length !== n) return null;
  let meanA = 0;
  let meanB = 0;
  for (let index = 0; index < n; index += 1) {
    meanA += ranksA[index]!;
    meanB += ranksB[index]!;
  }
  meanA /= n;
  meanB /= n;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let index = 0; index < n; index += 1) {
    const [x, y] = [ranksA[index]! - meanA, ranksB[index]! - meanB];
    covariance += x * y;
    varianceA += x * x;
    varianceB += y * y;
  }
  if (varianceA === 0 || varianceB === 0) return null;
  // Rounding can take a perfect correlation a hair past ±1.
  return Math.max(-1, Math.min(1, covariance / Math.sqrt(varianceA * varianceB)));
}

export type Mover = { id: string; a: { rank: number; score: number }; b: { rank: number; score: number }; change: number };

export type ModelComparison = { count: number; spearman: number | null; movedUp: number; movedDown: number; unchanged: number; up: Mover[]; down: Mover[] };

/**
 * Compares two score tables of the same ids (an id missing from one scores 0 there): their
 * Spearman correlation, how many ids moved up (a better rank under b), down or not at all, and
 * the `limit` biggest moves each way (by |change|, then id).
 *
 * @example
 * compareRankings(new Map([['x', 3], ['y', 1]]), new Map([['x', 1], ['y', 3]]), 10).spearman // -1
 */
export function compareRankings(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, limit: number): ModelComparison {
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort();
  const n = ids.length;
  const scoresA = new Float64Array(n);
  const scoresB = new Float64Array(n);
  for (let index = 0; index < n; index += 1) {
    scoresA[index] = a.get(ids[index]!) ?? 0;
    scoresB[index] = b.get(ids[index]!) ?? 0;
  }
  const [ranksA, ranksB] = [ranksOf(scoresA), ranksOf(scoresB)];
  const up: number[] = [];
  const down: number[] = [];
  for (let index = 0; index < n; index += 1) {
    const change = ranksA[index]! - ranksB[index]!;
    if (change > 0) up.push(index);
    else if (change < 0) down.push(index);
  }
  // Ids are sorted, so position order is id order.
  const byMove = (x: number, y: number) => Math.abs(ranksA[y]! - ranksB[y]!) - Math.abs(ranksA[x]! - ranksB[x]!) || x - y;
  const mover = (index: number): Mover => ({ id: ids[index]!, a: { rank: ranksA[index]!, score: scoresA[index]! }, b: { rank: ranksB[index]!, score: scoresB[index]! }, change: ranksA[index]! - ranksB[index]! });
  return {
    count: n,
    spearman: spearman(ranksA, ranksB),
    movedUp: up.length,
    movedDown: down.length,
    unchanged: n - up.length - down.length,
    up: biggest(up, byMove, limit).map(mover),
    down: biggest(down, byMove, limit).map(mover),
  };
}

/** The first `limit` of `items` in `order`: sorted whole only when it is short. */
function biggest(items: number[], order: (x: number, y: number) => number, limit: number): number[] {
  if (items.length <= 4 * limit) return items.sort(order).slice(0, limit);
  // A bounded selection: keep the best `limit` seen, in order (insertion into a short list).
  const best: number[] = [];
  for (const item of items) {
    if (best.length === limit && order(item, best[limit - 1]!) >= 0) continue;
    let at = best.length === limit ? limit - 1 : best.length;
    while (at > 0 && order(item, best[at - 1]!) < 0) {
      best[at] = best[at - 1]!;
      at -= 1;
    }
    best[at] = item;
  }
  return best;
}
