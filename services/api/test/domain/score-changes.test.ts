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
