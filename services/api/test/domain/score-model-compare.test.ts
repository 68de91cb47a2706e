/** domain/score-model-compare.ts: average ranks, Spearman, movers (docs/api.md, "Comparing two score models"). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageRanks, compareRankings, spearman } from '../../src/domain/score-model-compare.ts';

const scores = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('score-model comparison', () => {
  it('ranks by score descending, ties share the mean of their ranks', () => {
    expect(Object.fromEntries(averageRanks(scores({ a: 5, b: 9, c: 5, d: 5, e: 0 })))).toEqual({ b: 1, a: 3, c: 3, d: 3, e: 5 });
  });

  it.each([
    [[1, 2, 3], [1, 2, 3], 1],
    [[1, 2, 3], [3, 2, 1], -1],
    [[1, 2, 3, 4], [2, 1, 4, 3], 0.6],
    [[1.5, 1.5, 3], [1, 2, 3], Math.sqrt(3) / 2],
    [[1], [1], null],
    [[2, 2, 2], [1, 2, 3], null],
  ])('spearman(%j, %j) = %s', (a, b, rho) => {
    const value = spearman(a, b);
    if (rho === null) expect(value).toBeNull();
    else expect(value).toBeCloseTo(rho, 12);
  });

  it('without ties equals 1 − 6Σd² ÷ (n(n² − 1))', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { minLength: 2, maxLength: 30 }), fc.integer(), (values, seed) => {
        const a = new Map(values.map((value, index) => [`id${index}`, value]));
        // Another order of the same distinct values: b is a permutation, so no ties either.
        const shuffled = [...values].sort((x, y) => ((x ^ seed) & 0xff) - ((y ^ seed) & 0xff) || x - y);
        const b = new Map(shuffled.map((value, index) => [`id${index}`, value]));
        const [ra, rb] = [averageRanks(a), averageRanks(b)];
        const ids = [...a.keys()];
        const n = ids.length;
        const d2 = ids.reduce((sum, id) => sum + (ra.get(id)! - rb.get(id)!) ** 2, 0);
        expect(compareRankings(a, b, 5).spearman).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 9);
      }),
    );
  });

  it('movers: rank under a − rank under b, biggest first then id; ids missing from one table score 0 there', () => {
    const result = compareRankings(scores({ x: 10, y: 5, z: 1 }), scores({ x: 1, y: 5, w: 20 }), 1);
    // a: x 1, y 2, z 3, w 4 (w scores 0 there); b: w 1, y 2, x 3, z 4 (z scores 0 there).
    expect(result).toMatchObject({ count: 4, movedUp: 1, movedDown: 2, unchanged: 1 });
    expect(result.up).toEqual([{ id: 'w', a: { rank: 4, score: 0 }, b: { rank: 1, score: 20 }, change: 3 }]);
    expect(result.down).toEqual([{ id: 'x', a: { rank: 1, score: 10 }, b: { rank: 3, score: 1 }, change: -2 }]);
  });
  it('movers: the biggest `limit` each way, as a full sort of every id gives them (also when only a few of many are kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(30), fc.nat(30)), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (pairs, limit) => {
        const a = new Map(pairs.map(([x], index) => [`id${String(index).padStart(3, '0')}`, x]));
        const b = new Map(pairs.map(([, y], index) => [`id${String(index).padStart(3, '0')}`, y]));
        const [ra, rb] = [averageRanks(a), averageRanks(b)];
        const all = [...a.keys()].map((id) => ({ id, a: { rank: ra.get(id)!, score: a.get(id)! }, b: { rank: rb.get(id)!, score: b.get(id)! }, change: ra.get(id)! - rb.get(id)! }));
        const byMove = (x: { id: string; change: number }, y: { id: string; change: number }) => Math.abs(y.change) - Math.abs(x.change) || (x.id < y.id ? -1 : 1);
        const result = compareRankings(a, b, limit);
        expect(result.up).toEqual(all.filter((m) => m.change > 0).sort(byMove).slice(0, limit));
        expect(result.down).toEqual(all.filter((m) => m.change < 0).sort(byMove).slice(0, limit));
        expect(result.movedUp + result.movedDown + result.unchanged).toBe(pairs.length);
      }),
    );
  });
});
