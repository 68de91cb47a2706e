import type { ScoreModel } from '@uptake/protocol';

// The percentile lives in percentile.js, which the dashboard runs too.
export { percentileAgainst, percentileOf, percentRank } from './percentile.js';

/**
 * Whether events under the key `event` (a track event's name; '$page', '$identify', '$group' for
 * the other calls) count toward a score under the model: version 1 (`everyTrackEvent`) every
 * track event whose name does not start with `$`, later versions their named features.
 * figure-sql/figures.ts `scoredEvents` is the same rule in SQL.
 *
 * @example
 * countsTowardScore(defaultModel, 'Export CSV') // true
 * countsTowardScore(defaultModel, '$page')      // false
 */
export function countsTowardScore(model: Pick<ScoreModel, 'everyTrackEvent' | 'features'>, event: string): boolean {
  return model.everyTrackEvent ? !event.startsWith('$') : Object.hasOwn(model.features, event);
}

/** The weight of an event under the model: 1 under version 1, the feature's weight, 0 when it does not count. */
export function featureWeight(model: Pick<ScoreModel, 'everyTrackEvent' | 'features'>, event: string): number {
  if (!countsTowardScore(model, event)) return 0;
  return model.everyTrackEvent ? 1 : model.features[event]!.weight;
}

/** The label of a feature: its configured label, else the event name. */
export function featureLabel(model: Pick<ScoreModel, 'features'>, event: string): string {
  return (Object.hasOwn(model.features, event) ? model.features[event]!.label : undefined) ?? event;
}

/**
 * The count one user's events of one feature on one day add to a score: the count capped at the
 * model's dailyCap (docs/api.md); a score is Σ weight × this over features and days.
 * figure-sql/figures.ts `cappedDailyCounts` is the same rule in SQL.
 *
 * @example
 * cappedDailyCount(35, 20) // 20
 */
export function cappedDailyCount(count: number, dailyCap: number): number {
  return Math.min(count, dailyCap);
}

/** round() with halves away from zero, as Postgres rounds numerics (−12.5 → −13). */
export function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

export type FeatureCount = { event: string; label: string; weight: number; count: number };

/** The per-feature breakdown of a score (features with a count), by event name. */
export function scoreBreakdown(features: FeatureCount[]): { score: number; breakdown: Array<FeatureCount & { points: number }> } {
  const breakdown = features
    .filter((feature) => feature.count > 0)
    .map((feature) => ({ ...feature, points: feature.weight * feature.count }))
    .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
  return { score: breakdown.reduce((sum, item) => sum + item.points, 0), breakdown };
}
