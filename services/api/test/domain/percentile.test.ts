/**
 * A percentile ranked against a score table that may be older than the score: always a whole
 * number in 0–100, and exactly the documented percentile (docs/api.md) when the table is current.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentileAgainst, percentileOf } from '../../src/domain/score.ts';

const score = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
const ascending = (scores: number[]) => Float64Array.from(scores).sort();

describe('percentileAgainst', () => {
  it('is within 0–100 whatever the table, its own old entry and its new score', () => {
    fc.assert(
      fc.property(fc.array(score, { maxLength: 60 }), fc.option(fc.nat(), { nil: undefined }), score, (scores, ownIndex, fresh) => {
        // The id's own old entry is one of the table's scores, or the table does not have the id.
        const own = ownIndex === undefined || scores.length === 0 ? undefined : scores[ownIndex % scores.length];
        const percentile = percentileAgainst(ascending(scores), fresh, own);
        expect(Number.isInteger(percentile) && percentile >= 0 && percentile <= 100).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('equals percentileOf when the table holds the current score', () => {
    fc.assert(
      fc.property(fc.array(score, { minLength: 1, maxLength: 60 }), fc.nat(), (scores, index) => {
        const own = scores[index % scores.length]!;
        const table = ascending(scores);
        expect(percentileAgainst(table, own, own)).toBe(percentileOf(table, own));
      }),
      { numRuns: 2000 },
    );
  });

  it('ranks as if the new score replaced the old entry', () => {
    // 20 others at 1 and the id itself at 1 in the old table; now it scores 11.
    const table = ascending(Array.from({ length: 20 }, () => 1));
    expect(percentileOf(table, 11)).toBe(105);
    expect(percentileAgainst(table, 11, 1)).toBe(100);
    // Not in the old table at all: one more among them.
    expect(percentileAgainst(table, 11, undefined)).toBe(100);
    expect(percentileAgainst(table, 0, undefined)).toBe(0);
    expect(percentileAgainst(ascending([0, 2, 4]), 3, 0)).toBe(50);
    expect(percentileAgainst(new Float64Array(), 7, undefined)).toBe(0);
  });
});
