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
  const sorted = [...scores].sort((x, y) => y[1] - x[1]);
  const ranks = new Map<string, number>();
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1]![1] === sorted[start]![1]) end += 1;
    // Positions start … end (0-based) hold ranks start+1 … end+1: their mean.
    const rank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index += 1) ranks.set(sorted[index]![0], rank);
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
export function spearman(ranksA: readonly number[], ranksB: readonly number[]): number | null {
  const n = ranksA.length;
  if (n < 2 || ranksB.length !== n) return null;
  const meanA = ranksA.reduce((sum, rank) => sum + rank, 0) / n;
  const meanB = ranksB.reduce((sum, rank) => sum + rank, 0) / n;
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
  const scoresA = new Map(ids.map((id) => [id, a.get(id) ?? 0]));
  const scoresB = new Map(ids.map((id) => [id, b.get(id) ?? 0]));
  const [ranksA, ranksB] = [averageRanks(scoresA), averageRanks(scoresB)];
  const movers: Mover[] = ids.map((id) => {
    const [rankA, rankB] = [ranksA.get(id)!, ranksB.get(id)!];
    return { id, a: { rank: rankA, score: scoresA.get(id)! }, b: { rank: rankB, score: scoresB.get(id)! }, change: rankA - rankB };
  });
  const byMove = (x: Mover, y: Mover) => Math.abs(y.change) - Math.abs(x.change) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  const up = movers.filter((mover) => mover.change > 0).sort(byMove);
  const down = movers.filter((mover) => mover.change < 0).sort(byMove);
  return {
    count: ids.length,
    spearman: spearman(movers.map((mover) => mover.a.rank), movers.map((mover) => mover.b.rank)),
    movedUp: up.length,
    movedDown: down.length,
    unchanged: ids.length - up.length - down.length,
    up: up.slice(0, limit),
    down: down.slice(0, limit),
  };
}
