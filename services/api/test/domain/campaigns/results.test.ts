import { describe, expect, it } from 'vitest';
import { campaignResultFigures, newcombeInterval, reachedExitWithin, reachedGoalWithin, wilsonInterval } from '../../../src/domain/campaigns/results.ts';

const DAY_MS = 86_400_000;
const assigned = new Date('2026-12-06T15:30:00.000Z');

describe('the goal window at its boundaries', () => {
  it.each([
    ['1 ms before the assignment', -1, false],
    ['at the assignment', 0, true],
    ['exactly 14 days after', 14 * DAY_MS, true],
    ['14 days and 1 ms after', 14 * DAY_MS + 1, false],
  ])('goal event %s → %s', (_name, offset, expected) => {
    expect(reachedGoalWithin(assigned, new Date(assigned.getTime() + offset), 14)).toBe(expected);
  });
  it.each([
    ['the day before', '2026-12-05', false],
    ['the assignment day', '2026-12-06', true],
    ['14 days after', '2026-12-20', true],
    ['15 days after', '2026-12-21', false],
  ])('segment exit on %s → %s', (_name, day, expected) => {
    expect(reachedExitWithin(assigned, day, 14)).toBe(expected);
  });
});

describe('intervals', () => {
  it('Wilson matches the published values (Newcombe 1998, Table I)', () => {
    const a = wilsonInterval(81, 263)!;
    expect(a.low).toBeCloseTo(0.2553, 4);
    expect(a.high).toBeCloseTo(0.3662, 4);
    const zero = wilsonInterval(0, 10)!;
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(0, 0)).toBeUndefined();
  });

  it('Newcombe method 10 matches the published values (Newcombe 1998, Table II)', () => {
    // 56/70 − 48/80: difference 0.2000, hybrid score interval 0.0524 to 0.3339.
    const a = newcombeInterval(56, 70, 48, 80)!;
    expect(a.low).toBeCloseTo(0.0524, 4);
    expect(a.high).toBeCloseTo(0.3339, 4);
    // 9/10 − 3/10: 0.1705 to 0.8090.
    const b = newcombeInterval(9, 10, 3, 10)!;
    expect(b.low).toBeCloseTo(0.1705, 4);
    expect(b.high).toBeCloseTo(0.809, 3);
    expect(newcombeInterval(1, 2, 0, 0)).toBeUndefined();
  });
});

describe('campaignResultFigures', () => {
  it('counts each group, the lift and its interval', () => {
    const users = [
      ...Array.from({ length: 70 }, (_, i) => ({ group: 'exposed' as const, converted: i < 56, shown: i < 60, clicked: i < 20, dismissed: i >= 60 && i < 65 })),
      ...Array.from({ length: 80 }, (_, i) => ({ group: 'holdout' as const, converted: i < 48, shown: false, clicked: false, dismissed: false })),
    ];
    const figures = campaignResultFigures(users);
    expect(figures.exposed).toEqual({ users: 70, shown: 60, clicked: 20, dismissed: 5, converted: 56, rate: 0.8 });
    expect(figures.holdout).toEqual({ users: 80, converted: 48, rate: 0.6 });
    expect(figures.lift).toBeCloseTo(0.2, 12);
    expect(figures.relativeLift).toBeCloseTo(1 / 3, 12);
    expect(figures.confidenceInterval!.level).toBe(0.95);
    expect(figures.confidenceInterval!.low).toBeCloseTo(0.0524, 4);
  });

  it('answers null figures when a group is empty, and no relative lift over a zero rate', () => {
    const onlyExposed = campaignResultFigures([{ group: 'exposed', converted: true, shown: true, clicked: false, dismissed: false }]);
    expect(onlyExposed).toMatchObject({ holdout: { users: 0, converted: 0, rate: null }, lift: null, relativeLift: null, confidenceInterval: null });
    const zeroHoldout = campaignResultFigures([
      { group: 'exposed', converted: true, shown: true, clicked: false, dismissed: false },
      { group: 'holdout', converted: false, shown: false, clicked: false, dismissed: false },
    ]);
    expect(zeroHoldout.lift).toBe(1);
    expect(zeroHoldout.relativeLift).toBeNull();
  });
});
