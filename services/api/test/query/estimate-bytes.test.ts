import { describe, expect, it } from 'vitest';
import { estimateBytes } from '../../src/query/estimate-bytes.ts';
import { createNumbering, numberOf, type Numbering } from '../../src/query/id-numbers.ts';

// The figure cache's size estimate (query/estimate-bytes.ts): large collections of one shape are
// sampled, and a collection met again (a kept part of a later figure) is not walked again.
describe('estimateBytes', () => {
  /** A user's facts-like row: strings of varying length, numbers, a small array. */
  const row = (i: number) => ({ userId: `user-${i}`, name: 'x'.repeat(i % 40), score: i, memberIds: i % 3 === 0 ? ['a', 'b'] : [] });

  it('sizes a large collection from a sample within a few per cent of walking every item', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => row(i));
    const small = (part: typeof rows) => part.reduce((bytes, item) => bytes + estimateBytes(item, new Set()), 0);
    const walked = 32 + 8 * rows.length + small(rows);
    const sampled = estimateBytes(rows, new Set());
    expect(Math.abs(sampled - walked) / walked).toBeLessThan(0.03);
    const map = new Map(rows.map((item) => [item.userId, item]));
    const mapWalked = 64 + 40 * map.size + [...map].reduce((bytes, [key, item]) => bytes + estimateBytes(key, new Set()) + estimateBytes(item, new Set()), 0);
    expect(Math.abs(estimateBytes(map, new Set()) - mapWalked) / mapWalked).toBeLessThan(0.03);
  });

  it('collects every numbering a large collection holds, not only the sampled items’', () => {
    const parts = Array.from({ length: 5000 }, (_, i) => {
      const numbering = createNumbering();
      numberOf(numbering, `user-${i}`);
      return { numbering, numbers: Int32Array.of(0) };
    });
    const found = new Set<Numbering>();
    estimateBytes(parts, found);
    expect(found.size).toBe(5000);
    // Met again (kept), the same numberings are reported.
    const again = new Set<Numbering>();
    expect(estimateBytes({ kept: parts }, again)).toBeGreaterThan(estimateBytes(parts, new Set()));
    expect(again.size).toBe(5000);
  });

  it('keeps the estimate of a large collection and uses it when a later figure holds it', () => {
    const before = new Map<string, number>(Array.from({ length: 20_000 }, (_, i) => [`user-${i}`, i]));
    const first = estimateBytes({ before, last: new Map() }, new Set());
    // Cached figures never change: grown afterwards (which no figure does), the kept estimate shows it was not walked again.
    for (let i = 0; i < 20_000; i++) before.set(`more-${i}`, i);
    expect(estimateBytes({ before, last: new Map() }, new Set())).toBe(first);
    expect(estimateBytes({ before: new Map(before), last: new Map() }, new Set())).toBeGreaterThan(1.5 * first);
  });
});
