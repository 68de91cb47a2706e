import type { FeatureChange, ScoreModel, UserChange } from '@uptake/protocol';
import { addDays, windowOf } from './days.ts';
import { featureLabel, featureWeight } from './score.ts';

// Why a score changed between two days (docs/api.md, Why a score changed). The score on a day is
// Σ weight × capped counts over the window ending that day, as of that day; between `from` and
// `to` the window slides, so every point of the change falls in exactly one of three parts.

/** A user's capped count of one feature summed over some days (Σ min(count, dailyCap) per day). */
export type CountCell = { userId: string; event: string; count: number };

/** The day ranges the parts come from; a range is null when it holds no day. */
export type ChangeRanges = {
  /** Days in the window of `to` but not of `from`: their counts as of `to`. */
  entered: { from: string; to: string } | null;
  /** Days in the window of `from` but not of `to`: their counts as of `from`. */
  left: { from: string; to: string } | null;
  /** Days in both windows: counted as of `to` and as of `from`. */
  overlap: { from: string; to: string } | null;
};

/**
 * The ranges of days the window slides over from `from` to `to` (from ≤ to), for a window of
 * `windowDays`.
 *
 * @example
 * changeRanges('2026-03-01', '2026-03-11', 30)
 * // { entered: 03-02…03-11, left: 01-31…02-09, overlap: 02-10…03-01 }
 */
export function changeRanges(from: string, to: string, windowDays: number): ChangeRanges {
  const before = windowOf(from, windowDays);
  const after = windowOf(to, windowDays);
  const enteredFrom = before.to >= after.from ? addDays(before.to, 1) : after.from;
  const leftTo = after.from <= before.to ? addDays(after.from, -1) : before.to;
  return {
    entered: enteredFrom <= after.to ? { from: enteredFrom, to: after.to } : null,
    left: before.from <= leftTo ? { from: before.from, to: leftTo } : null,
    overlap: after.from <= before.to ? { from: after.from, to: before.to } : null,
  };
}

export type ChangeCells = { entered: readonly CountCell[]; left: readonly CountCell[]; overlapTo: readonly CountCell[]; overlapFrom: readonly CountCell[] };

type Counts = { entered: number; left: number; overlapTo: number; overlapFrom: number };
const zero = (): Counts => ({ entered: 0, left: 0, overlapTo: 0, overlapFrom: 0 });
const countFrom = (c: Counts) => c.left + c.overlapFrom;
const countTo = (c: Counts) => c.entered + c.overlapTo;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A number's shortest decimal form (what JSON writes) as digits × 10^exponent. */
function decimalOf(value: number): { digits: bigint; exponent: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new RangeError(`not a finite number: ${value}`);
  const fraction = match[3] ?? '';
  const digits = BigInt(`${match[1]}${match[2]}${fraction}`);
  return { digits, exponent: Number(match[4] ?? 0) - fraction.length };
}

/** Significant digits a JSON number (a double) keeps exactly. */
const SIGNIFICANT_DIGITS = 15;

/**
 * Exact decimal arithmetic for the points of a change. Every weight is a whole number of units of
 * 10^-scale, scale being the finest decimal of the weights as JSON writes them, so weight × count
 * and every sum of them are exact (0.1 + 0.2 is 0.3 here). The answer writes them on a grid of
 * 10^-decimals: the weights' own decimals, unless the largest value would then need more than 15
 * significant digits (weights with many decimals on large scores), in which case fewer.
 */
function decimalPoints(weights: readonly number[], largestPoints: (units: (weight: number) => bigint) => bigint) {
  const scale = Math.max(0, ...weights.map((weight) => -decimalOf(weight).exponent));
  const units = (weight: number) => {
    const { digits, exponent } = decimalOf(weight);
    return digits * 10n ** BigInt(scale + exponent);
  };
  const wholeDigits = (largestPoints(units) / 10n ** BigInt(scale)).toString().length;
  const decimals = Math.min(scale, SIGNIFICANT_DIGITS - wholeDigits);
  const step = 10n ** BigInt(scale - decimals);
  /** Units to grid steps, halves away from zero. */
  const round = (value: bigint): bigint => (value < 0n ? -round(-value) : (2n * value + step) / (2n * step));
  /**
   * Non-negative values to grid steps adding up to `total` (the rounded sum): each rounded down,
   * the steps still missing going one each to the largest remainders (ties: the order given).
   */
  const apportion = (values: readonly bigint[], total: bigint): bigint[] => {
    const steps = values.map((value) => value / step);
    let missing = total - steps.reduce((sum, value) => sum + value, 0n);
    const order = values.map((value, index) => ({ index, remainder: value % step })).sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
    for (const { index } of order) {
      if (missing <= 0n) break;
      steps[index]! += 1n;
      missing -= 1n;
    }
    return steps;
  };
  const toNumber = (steps: bigint) => Number(`${steps}e${-decimals}`);
  return { units, round, apportion, toNumber };
}

/**
 * The change of a score from `from` to `to` explained by feature, and by user: per feature its
 * points on each day and the change split into the days that entered the window, those that
 * left it and the days in both (restated: counted again as of `to`, which late events, identity
 * links and account joins can change); per user the same total change and whether they were
 * active in each window. A feature's change is weight × (count on `to` − count on `from`); the
 * features' changes add up to the change and so do the users', each feature's entered, left and
 * restated add up to its change, and each part's pointsTo − pointsFrom is its change: exactly, in
 * decimal, with any weights. Every figure is computed in whole units of the weights' finest
 * decimal and written as that decimal (`decimalPoints`). Only where that would need more than 15
 * significant digits (a JSON number keeps no more) are the figures written with fewer decimals:
 * the scores rounded (halves away from zero), each part's points apportioned by largest
 * remainder so they add up to the rounded scores, and restated taking the rest of its feature's
 * change.
 *
 * @example
 * scoreChangesOf(model, { entered: [{ userId: 'u1', event: 'Export', count: 3 }], left: [], overlapTo: [], overlapFrom: [] }, { from: new Set(), to: new Set(['u1']) })
 * // { scoreFrom: 0, scoreTo: 3, change: 3, byFeature: [{ event: 'Export', change: 3, entered: 3, … }], byUser: [{ userId: 'u1', change: 3, activeTo: true, … }] }
 */
export function scoreChangesOf(
  model: Pick<ScoreModel, 'everyTrackEvent' | 'features'>,
  cells: ChangeCells,
  active: { from: ReadonlySet<string>; to: ReadonlySet<string> },
): { scoreFrom: number; scoreTo: number; change: number; byFeature: FeatureChange[]; byUser: UserChange[] } {
  const features = new Map<string, Counts>();
  const users = new Map<string, Map<string, Counts>>();
  for (const part of ['entered', 'left', 'overlapTo', 'overlapFrom'] as const) {
    for (const cell of cells[part]) {
      const feature = features.get(cell.event) ?? zero();
      feature[part] += cell.count;
      features.set(cell.event, feature);
      const own = users.get(cell.userId) ?? new Map<string, Counts>();
      const userFeature = own.get(cell.event) ?? zero();
      userFeature[part] += cell.count;
      own.set(cell.event, userFeature);
      users.set(cell.userId, own);
    }
  }
  const weight = (event: string) => featureWeight(model, event);
  const events = [...features.keys()].sort(byText);
  const points = (units: (weight: number) => bigint) => {
    const w = new Map(events.map((event) => [event, units(weight(event))]));
    const of = (event: string, count: number) => w.get(event)! * BigInt(count);
    const total = (count: (c: Counts) => number) => events.reduce((sum, event) => sum + of(event, count(features.get(event)!)), 0n);
    return { of, from: total(countFrom), to: total(countTo) };
  };
  // Weights are ≥ 0, so no part is larger than the larger score.
  const exact = decimalPoints(events.map(weight), (units) => {
    const { from, to } = points(units);
    return from > to ? from : to;
  });
  const { of, from: unitsFrom, to: unitsTo } = points(exact.units);
  const scoreFrom = exact.round(unitsFrom);
  const scoreTo = exact.round(unitsTo);
  const number = exact.toNumber;

  const shown = events.filter((event) => countFrom(features.get(event)!) > 0 || countTo(features.get(event)!) > 0);
  const featureFrom = exact.apportion(shown.map((event) => of(event, countFrom(features.get(event)!))), scoreFrom);
  const featureTo = exact.apportion(shown.map((event) => of(event, countTo(features.get(event)!))), scoreTo);
  const byFeature = shown.map((event, index) => {
    const c = features.get(event)!;
    const change = featureTo[index]! - featureFrom[index]!;
    const entered = exact.round(of(event, c.entered));
    const left = -exact.round(of(event, c.left));
    // Restated is what the days in both windows add: the rest of the change, so the parts add up to it.
    return {
      event,
      label: featureLabel(model, event),
      weight: weight(event),
      pointsFrom: number(featureFrom[index]!),
      pointsTo: number(featureTo[index]!),
      change: number(change),
      entered: number(entered),
      left: number(left),
      restated: number(change - entered - left),
    };
  });

  const ids = [...new Set([...users.keys(), ...active.from, ...active.to])];
  const userUnits = (userId: string, count: (c: Counts) => number) => [...(users.get(userId) ?? [])].reduce((sum, [event, c]) => sum + of(event, count(c)), 0n);
  const userFrom = exact.apportion(ids.map((userId) => userUnits(userId, countFrom)), scoreFrom);
  const userTo = exact.apportion(ids.map((userId) => userUnits(userId, countTo)), scoreTo);
  const byUser = ids
    .map((userId, index) => {
      const activeFrom = active.from.has(userId);
      const activeTo = active.to.has(userId);
      const change = userTo[index]! - userFrom[index]!;
      return { userId, steps: change, pointsFrom: number(userFrom[index]!), pointsTo: number(userTo[index]!), change: number(change), activeFrom, activeTo, stopped: activeFrom && !activeTo };
    })
    .sort((a, b) => (a.steps < b.steps ? -1 : a.steps > b.steps ? 1 : byText(a.userId, b.userId)))
    .map(({ steps: _steps, ...user }) => user);
  return { scoreFrom: number(scoreFrom), scoreTo: number(scoreTo), change: number(scoreTo - scoreFrom), byFeature, byUser };
}
