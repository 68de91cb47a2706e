import type { FeatureChange, ScoreModel, UserChange } from '@uptake/protocol';
import { addDays, windowOf } from './days.ts';
import { featureLabel, featureWeight, scoreBreakdown } from './score.ts';

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
/** A product with a zero weight can be −0, which JSON writes as 0 but sums and comparisons tell apart. */
const points = (value: number) => value || 0;

/**
 * The change of a score from `from` to `to` explained by feature, and by user: per feature its
 * points on each day and the change split into the days that entered the window, those that
 * left it and the days in both (restated: counted again as of `to`, which late events, identity
 * links and account joins can change); per user the same total change and whether they were
 * active in each window. A feature's change is weight × (count on `to` − count on `from`); the
 * features' changes add up to the change and so do the users' (exactly with whole-number
 * weights, as every score model's default).
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
  const breakdownOn = (count: (c: Counts) => number) =>
    scoreBreakdown([...features].map(([event, c]) => ({ event, label: featureLabel(model, event), weight: weight(event), count: count(c) })));
  const scoreFrom = breakdownOn(countFrom).score;
  const scoreTo = breakdownOn(countTo).score;
  const byFeature = [...features]
    .filter(([, c]) => countFrom(c) > 0 || countTo(c) > 0)
    .sort(([a], [b]) => byText(a, b))
    .map(([event, c]) => {
      const w = weight(event);
      return {
        event,
        label: featureLabel(model, event),
        weight: w,
        pointsFrom: points(w * countFrom(c)),
        pointsTo: points(w * countTo(c)),
        change: points(w * (countTo(c) - countFrom(c))),
        entered: points(w * c.entered),
        left: points(-w * c.left),
        restated: points(w * (c.overlapTo - c.overlapFrom)),
      };
    });
  const ids = new Set([...users.keys(), ...active.from, ...active.to]);
  const byUser = [...ids]
    .map((userId) => {
      let pointsFrom = 0;
      let pointsTo = 0;
      let change = 0;
      for (const [event, c] of users.get(userId) ?? []) {
        pointsFrom += weight(event) * countFrom(c);
        pointsTo += weight(event) * countTo(c);
        change += weight(event) * (countTo(c) - countFrom(c));
      }
      const activeFrom = active.from.has(userId);
      const activeTo = active.to.has(userId);
      return { userId, pointsFrom: points(pointsFrom), pointsTo: points(pointsTo), change: points(change), activeFrom, activeTo, stopped: activeFrom && !activeTo };
    })
    .sort((a, b) => a.change - b.change || byText(a.userId, b.userId));
  return { scoreFrom, scoreTo, change: scoreTo - scoreFrom, byFeature, byUser };
}
