/**
 * Why a score changed (domain/score-changes.ts): the window's slide split into days that entered,
 * days that left and days in both, and fast-check properties that the features' and the users'
 * changes add up exactly to the change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScoreModel } from '@uptake/protocol';
import { changeRanges, scoreChangesOf, type CountCell } from '../../src/domain/score-changes.ts';

const V1: ScoreModel = { version: 1, status: 'active', everyTrackEvent: true, features: {}, windowDays: 30, dailyCap: 20, createdAt: null };

describe('changeRanges', () => {
  it.each([
    ['overlapping windows', '2026-03-01', '2026-03-11', 30, { from: '2026-03-02', to: '2026-03-11' }, { from: '2026-01-31', to: '2026-02-09' }, { from: '2026-02-10', to: '2026-03-01' }],
    ['the same day', '2026-03-01', '2026-03-01', 30, null, null, { from: '2026-01-31', to: '2026-03-01' }],
    ['disjoint windows', '2026-01-01', '2026-03-01', 30, { from: '2026-01-31', to: '2026-03-01' }, { from: '2025-12-03', to: '2026-01-01' }, null],
    ['windows that just touch', '2026-01-30', '2026-03-01', 30, { from: '2026-01-31', to: '2026-03-01' }, { from: '2026-01-01', to: '2026-01-30' }, null],
    ['a one-day window', '2026-03-01', '2026-03-02', 1, { from: '2026-03-02', to: '2026-03-02' }, { from: '2026-03-01', to: '2026-03-01' }, null],
  ] as const)('%s', (_name, from, to, days, entered, left, overlap) => {
    expect(changeRanges(from, to, days)).toEqual({ entered, left, overlap });
  });
});

describe('scoreChangesOf', () => {
  it('splits a feature’s change into entered, left and restated, and names who stopped', () => {
    const answer = scoreChangesOf(
      V1,
      {
        entered: [{ userId: 'u1', event: 'Export', count: 3 }],
        left: [
          { userId: 'u2', event: 'Export', count: 5 },
          { userId: 'u2', event: 'Report', count: 2 },
        ],
        overlapTo: [{ userId: 'u1', event: 'Report', count: 4 }],
        overlapFrom: [{ userId: 'u1', event: 'Report', count: 1 }],
      },
      { from: new Set(['u1', 'u2']), to: new Set(['u1']) },
    );
    expect(answer).toMatchObject({ scoreFrom: 8, scoreTo: 7, change: -1 });
    expect(answer.byFeature).toEqual([
      { event: 'Export', label: 'Export', weight: 1, pointsFrom: 5, pointsTo: 3, change: -2, entered: 3, left: -5, restated: 0 },
      { event: 'Report', label: 'Report', weight: 1, pointsFrom: 3, pointsTo: 4, change: 1, entered: 0, left: -2, restated: 3 },
    ]);
    expect(answer.byUser).toEqual([
      { userId: 'u2', pointsFrom: 7, pointsTo: 0, change: -7, activeFrom: true, activeTo: false, stopped: true },
      { userId: 'u1', pointsFrom: 1, pointsTo: 7, change: 6, activeFrom: true, activeTo: true, stopped: false },
    ]);
  });

  it('weights features under a named model and leaves out events it does not count', () => {
    const model: ScoreModel = { ...V1, version: 2, everyTrackEvent: false, features: { Export: { weight: 3, label: 'Exports' } } };
    const answer = scoreChangesOf(model, { entered: [{ userId: 'u1', event: 'Export', count: 2 }], left: [], overlapTo: [], overlapFrom: [] }, { from: new Set(), to: new Set() });
    expect(answer).toMatchObject({ scoreFrom: 0, scoreTo: 6, change: 6, byFeature: [{ event: 'Export', label: 'Exports', weight: 3, change: 6, entered: 6 }] });
  });
});

const cell = fc.record({ userId: fc.constantFrom('u1', 'u2', 'u3', 'u4'), event: fc.constantFrom('A', 'B', 'C', 'D', 'E'), count: fc.integer({ min: 1, max: 20 * 30 }) });
const cells = fc.array(cell, { maxLength: 30 });

describe('score change properties (fast-check)', () => {
  it('features’ and users’ changes add up exactly to scoreTo − scoreFrom, and each feature’s parts to its change', () => {
    fc.assert(
      fc.property(
        fc.record({ A: fc.integer({ min: 0, max: 1000 }), B: fc.integer({ min: 0, max: 1000 }), C: fc.integer({ min: 0, max: 1000 }), D: fc.integer({ min: 0, max: 1000 }), E: fc.integer({ min: 0, max: 1000 }) }),
        cells,
        cells,
        cells,
        cells,
        fc.subarray(['u1', 'u2', 'u3', 'u4']),
        fc.subarray(['u1', 'u2', 'u3', 'u4']),
        (weights, entered, left, overlapTo, overlapFrom, activeFrom, activeTo) => {
          const model: ScoreModel = { ...V1, version: 2, everyTrackEvent: false, features: Object.fromEntries(Object.entries(weights).map(([event, w]) => [event, { weight: w, label: event }])) };
          const answer = scoreChangesOf(model, { entered, left, overlapTo, overlapFrom } as Record<string, CountCell[]> as never, { from: new Set(activeFrom), to: new Set(activeTo) });
          expect(answer.change).toBe(answer.scoreTo - answer.scoreFrom);
          expect(answer.byFeature.reduce((sum, f) => sum + f.change, 0)).toBe(answer.change);
          expect(answer.byUser.reduce((sum, u) => sum + u.change, 0)).toBe(answer.change);
          for (const f of answer.byFeature) expect(f.entered + f.left + f.restated).toBe(f.change);
          for (const u of answer.byUser) expect(u.pointsTo - u.pointsFrom).toBe(u.change);
          expect(answer.byUser.filter((u) => u.stopped).map((u) => u.userId).sort()).toEqual(activeFrom.filter((id) => !activeTo.includes(id)).sort());
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/** A JSON number's decimal form (its shortest round-trip text) as a whole number of 10^-40 units: sums of these are exact. */
function decimalUnits(value: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new Error(`not a decimal: ${value}`);
  const fraction = match[3] ?? '';
  const exponent = Number(match[4] ?? 0) - fraction.length + 40;
  const digits = BigInt(`${match[1]}${match[2]}${fraction}`);
  // Values here are multiples of at least 10^-40 (the answer's grid); a finer value would be a failure.
  if (exponent < 0) {
    const scale = 10n ** BigInt(-exponent);
    if (digits % scale !== 0n) throw new Error(`${value} is finer than 10^-40`);
    return digits / scale;
  }
  return digits * 10n ** BigInt(exponent);
}
const decimalSum = (values: number[]) => values.reduce((sum, value) => sum + decimalUnits(value), 0n);

/** The relations the answer promises, checked in exact decimal arithmetic on the numbers as JSON writes them. */
function expectPartsAddUp(answer: ReturnType<typeof scoreChangesOf>) {
  const d = decimalUnits;
  expect(d(answer.change)).toBe(d(answer.scoreTo) - d(answer.scoreFrom));
  expect(decimalSum(answer.byFeature.map((f) => f.change))).toBe(d(answer.change));
  expect(decimalSum(answer.byUser.map((u) => u.change))).toBe(d(answer.change));
  expect(decimalSum(answer.byFeature.map((f) => f.pointsTo))).toBe(d(answer.scoreTo));
  expect(decimalSum(answer.byUser.map((u) => u.pointsFrom))).toBe(d(answer.scoreFrom));
  for (const f of answer.byFeature) {
    expect(d(f.entered) + d(f.left) + d(f.restated)).toBe(d(f.change));
    expect(d(f.pointsTo) - d(f.pointsFrom)).toBe(d(f.change));
  }
  for (const u of answer.byUser) expect(d(u.pointsTo) - d(u.pointsFrom)).toBe(d(u.change));
}

const modelOf = (weights: Record<string, number>): ScoreModel => ({
  ...V1,
  version: 2,
  everyTrackEvent: false,
  features: Object.fromEntries(Object.entries(weights).map(([event, w]) => [event, { weight: w, label: event }])),
});
const weightsOf = (weight: fc.Arbitrary<number>) => fc.record({ A: weight, B: weight, C: weight, D: weight, E: weight });
const allCells = fc.record({ entered: cells, left: cells, overlapTo: cells, overlapFrom: cells });

describe('score change properties with fractional weights (fast-check)', () => {
  it('adds 0.1 and 0.2 up to 0.3, not 0.30000000000000004', () => {
    const answer = scoreChangesOf(modelOf({ A: 0.1, B: 0.2 }), { entered: [{ userId: 'u1', event: 'A', count: 1 }, { userId: 'u2', event: 'B', count: 1 }], left: [], overlapTo: [], overlapFrom: [] }, { from: new Set(), to: new Set() });
    expect(answer).toMatchObject({ scoreFrom: 0, scoreTo: 0.3, change: 0.3 });
    expect(answer.byUser.map((u) => u.change)).toEqual([0.1, 0.2]);
  });

  it('weights with up to 4 decimals: every figure is the exact decimal, and the parts add up to the change exactly', () => {
    // Weights as the schema takes them (0 … 1,000,000), written with up to 4 decimals.
    const weight = fc.integer({ min: 0, max: 10_000_000_000 }).map((tenThousandths) => Number(`${tenThousandths}e-4`));
    fc.assert(
      fc.property(weightsOf(weight), allCells, (weights, parts) => {
        const answer = scoreChangesOf(modelOf(weights), parts, { from: new Set(), to: new Set() });
        expectPartsAddUp(answer);
        // The exact score, from the weights' decimals: Σ weight × count over the cells of `to`.
        const exactTo = [...parts.entered, ...parts.overlapTo].reduce((sum, c) => sum + decimalUnits(weights[c.event as keyof typeof weights]) * BigInt(c.count), 0n);
        expect(decimalUnits(answer.scoreTo)).toBe(exactTo);
      }),
      { numRuns: 1500 },
    );
  });

  it('any weight the schema allows (any double from 0 to 1,000,000): the parts add up to the change exactly, the scores within 15 significant digits of the larger', () => {
    const weight = fc.double({ min: 0, max: 1_000_000, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(weightsOf(weight), allCells, (weights, parts) => {
        const answer = scoreChangesOf(modelOf(weights), parts, { from: new Set(['u1']), to: new Set(['u2']) });
        expectPartsAddUp(answer);
        const exactOf = (of: CountCell[]) => of.reduce((sum, c) => sum + weights[c.event as keyof typeof weights] * c.count, 0);
        const [exactFrom, exactTo] = [exactOf([...parts.left, ...parts.overlapFrom]), exactOf([...parts.entered, ...parts.overlapTo])];
        // 15 significant digits of the larger score (the grid every figure of the answer is written on).
        const tolerance = Math.max(1, exactFrom, exactTo) * 1e-13;
        expect(Math.abs(answer.scoreTo - exactTo)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(answer.scoreFrom - exactFrom)).toBeLessThanOrEqual(tolerance);
      }),
      { numRuns: 1500 },
    );
  });
});
