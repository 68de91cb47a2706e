import type { SegmentThresholds } from '@uptake/protocol';

/** the defaults of docs/api.md, Segments for the built-in segments; a project overrides any of them. */
export const DEFAULT_SEGMENT_THRESHOLDS: Readonly<SegmentThresholds> = Object.freeze({
  postOnboardingFirstSeenDays: 30,
  lowUtilisation: 0.6,
  risingUtilisationChange: 0.1,
  usageDropRatio: 0.7,
  usageDropPeriodDays: 30,
  weeklyActiveWeeks: 4,
  topShare: 0.1,
  lowEngagementOnboardedFromDays: 60,
  lowEngagementOnboardedToDays: 30,
  lowEngagementMaxPercentile: 25,
  championQuietDays: 14,
  trialReadyPercentRank: 0.75,
  expansionUtilisation: 0.9,
  newUserDays: 7,
  dormantQuietDays: 14,
  dormantLookbackDays: 30,
  featureUnusedActiveDays: 30,
  npsWindowDays: 90,
});

/**
 * The thresholds in effect: defaults with the project's overrides (unknown or mistyped stored
 * values are ignored, so an old settings row never breaks a query).
 *
 * @example
 * thresholdsWith({ lowUtilisation: 0.5 }).lowUtilisation // 0.5
 */
export function thresholdsWith(overrides: Partial<Record<keyof SegmentThresholds, unknown>>): SegmentThresholds {
  const thresholds: SegmentThresholds = { ...DEFAULT_SEGMENT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_SEGMENT_THRESHOLDS) as Array<keyof SegmentThresholds>) {
    const value = overrides[key];
    if (typeof value === 'number' && Number.isFinite(value)) thresholds[key] = value;
  }
  return thresholds;
}
