import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { projectGroupFeatureCounts, type DayCounts } from '../../src/query/groups.queries.ts';
import { createNumbering, numberOf } from '../../src/query/id-numbers.ts';

// The project's counts per group and feature (query/groups.queries.ts): summed in an array while
// event × group slots are few, in a Map when a trait makes a group per user. Both must give what
// a plain sum of every row per (group, feature) gives.
describe('projectGroupFeatureCounts', () => {
  const row = fc.record({ user: fc.nat(40), event: fc.nat(5), capped: fc.integer({ min: 1, max: 20 }) });
  const day = fc.record({ names: fc.shuffledSubarray(['a', 'b', 'c', 'd', 'e', 'f'], { minLength: 1 }), rows: fc.array(row, { maxLength: 60 }) });

  it('sums every row into its group and feature, by array or by Map alike', () => {
    fc.assert(
      fc.property(fc.array(day, { maxLength: 6 }), fc.array(fc.nat(3), { minLength: 41, maxLength: 41 }), (days, groupOfUser) => {
        // Two numberings, as parts computed before and after a full one hold.
        const numberings = [createNumbering(), createNumbering()];
        const parts: DayCounts[] = days.map((one, index) => {
          const numbering = numberings[index % 2]!;
          return {
            users: { numbering, numbers: Int32Array.from(one.rows, (r) => numberOf(numbering, `u${r.user}`)) },
            names: one.names,
            events: Int32Array.from(one.rows, (r) => r.event % one.names.length),
            capped: Int32Array.from(one.rows, (r) => r.capped),
          };
        });
        // Users 0-9 have no group (the missing group, 0); the rest one of 1-4.
        const groupOfId = new Map(groupOfUser.flatMap((group, user) => (user < 10 ? [] : [[`u${user}`, group + 1] as const])));
        const expected = new Map<string, number>();
        for (const one of days) {
          for (const r of one.rows) {
            const key = `${groupOfId.get(`u${r.user}`) ?? 0} ${one.names[r.event % one.names.length]}`;
            expected.set(key, (expected.get(key) ?? 0) + r.capped);
          }
        }
        const asMap = (rows: ReturnType<typeof projectGroupFeatureCounts>) => new Map(rows.map((r) => [`${r.grp} ${r.event}`, r.count]));
        expect(asMap(projectGroupFeatureCounts(parts, groupOfId, 5))).toEqual(expected);
        expect(asMap(projectGroupFeatureCounts(parts, groupOfId, 5, 0))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
