/** domain/groups.ts: the groups a trait makes and their figures (docs/api.md, "Scores by group"). */
import { describe, expect, it } from 'vitest';
import { groupFigures, groupValueOf, TOP_FEATURES_PER_GROUP } from '../../src/domain/groups.ts';

describe('scores by group', () => {
  it.each([
    ['admin', 'admin'],
    [3, 3],
    [true, true],
    [false, false],
    ['', null],
    [null, null],
    [undefined, null],
    [{ a: 1 }, null],
    [['admin'], null],
    [Number.NaN, null],
  ])('trait %j → group %j', (trait, value) => {
    expect(groupValueOf(trait)).toBe(value);
  });

  it('counts users, active users, score, score per active user; "1" and 1 are different groups; the missing group has value null', () => {
    const groups = groupFigures(
      [
        { userId: 'u1', trait: 'admin', active: true },
        { userId: 'u2', trait: 'admin', active: false },
        { userId: 'u3', trait: undefined, active: true },
        { userId: 'u4', trait: '1', active: false },
        { userId: 'u5', trait: 1, active: false },
        { userId: 'u6', trait: {}, active: false },
      ],
      [
        { userId: 'u1', event: 'Export', label: 'Exports', points: 6 },
        { userId: 'u2', event: 'Export', label: 'Exports', points: 2 },
        { userId: 'u2', event: 'Invite', label: 'Invite', points: 4 },
        { userId: 'u3', event: 'Export', label: 'Exports', points: 1 },
        // Not in scope: left out.
        { userId: 'u9', event: 'Export', label: 'Exports', points: 100 },
      ],
    );
    expect(groups).toEqual([
      { value: 'admin', missing: false, users: 2, activeUsers: 1, score: 12, perActiveUser: 12, topFeatures: [{ event: 'Export', label: 'Exports', points: 8 }, { event: 'Invite', label: 'Invite', points: 4 }] },
      { value: null, missing: true, users: 2, activeUsers: 1, score: 1, perActiveUser: 1, topFeatures: [{ event: 'Export', label: 'Exports', points: 1 }] },
      // Ties at 0: numbers before strings (by type, then text).
      { value: 1, missing: false, users: 1, activeUsers: 0, score: 0, perActiveUser: 0, topFeatures: [] },
      { value: '1', missing: false, users: 1, activeUsers: 0, score: 0, perActiveUser: 0, topFeatures: [] },
    ]);
  });

  it(`keeps the ${TOP_FEATURES_PER_GROUP} top features by points, ties by event name`, () => {
    const points = ['D', 'C', 'B', 'A'].map((event) => ({ userId: 'u1', event, label: event, points: event === 'D' ? 5 : 2 }));
    const [group] = groupFigures([{ userId: 'u1', trait: 'x', active: true }], points);
    expect(group?.topFeatures.map((feature) => feature.event)).toEqual(['D', 'A', 'B']);
  });

  it('no users, no groups; a user listed twice counts once', () => {
    expect(groupFigures([], [])).toEqual([]);
    expect(groupFigures([{ userId: 'u1', trait: 'a', active: true }, { userId: 'u1', trait: 'b', active: true }], [])).toEqual([
      { value: 'a', missing: false, users: 1, activeUsers: 1, score: 0, perActiveUser: 0, topFeatures: [] },
    ]);
  });
});
