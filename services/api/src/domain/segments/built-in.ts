import type { SegmentThresholds } from '@uptake/protocol';
import { addDays, windowOf } from '../days.ts';
import { npsCategory } from '../nps.ts';
import { percentRank } from '../percentile.js';
import { atLeast, atMost, lessThan, moreThan } from './compare.ts';
import type { AccountFacts, UserFacts } from './facts.ts';

export type BuiltInSegment = { key: string; name: string; of: 'accounts' | 'users'; description: string };

export const FEATURE_UNUSED_PREFIX = 'feature-unused:';

/** The built-in segments of docs/api.md, in the order GET /v1/segments lists them. */
export const BUILT_IN_SEGMENTS: readonly BuiltInSegment[] = [
  { key: 'post-onboarding', of: 'accounts', name: 'Post-onboarding', description: 'onboardedAt in the past, or first seen at least postOnboardingFirstSeenDays (30) days ago' },
  { key: 'low-utilization', of: 'accounts', name: 'Low utilisation', description: 'licence utilisation below lowUtilisation (60 %)' },
  { key: 'rising-utilization', of: 'accounts', name: 'Rising utilisation', description: 'utilisation ÷ utilisation 30 days ago − 1 above risingUtilisationChange (10 %)' },
  { key: 'usage-drop', of: 'accounts', name: 'Usage drop', description: 'active user-days in the last usageDropPeriodDays (30) ≤ usageDropRatio (70 %) of the period before (which had some)' },
  { key: 'weekly-active', of: 'accounts', name: 'Weekly active', description: 'some user active in each of the last weeklyActiveWeeks (4) 7-day blocks' },
  { key: 'top', of: 'accounts', name: 'Top accounts', description: 'top topShare (10 %, rounded up) of accounts by score, ties at the cut included, score > 0' },
  { key: 'low-engagement-after-onboarding', of: 'accounts', name: 'Low engagement after onboarding', description: 'onboarded 30–60 days ago and score percentile ≤ 25 (bottom quartile)' },
  { key: 'champion-disengaged', of: 'accounts', name: 'Champion disengaged', description: 'a user with isChampion true not active in the account for championQuietDays (14)' },
  { key: 'trial-ready', of: 'accounts', name: 'Trial ready', description: 'trait trial true and score in the top quartile of trial accounts (percent_rank ≥ 0.75)' },
  { key: 'expansion-ready', of: 'accounts', name: 'Expansion ready', description: 'utilisation ≥ expansionUtilisation (90 %): upsell more seats' },
  { key: 'health-red', of: 'accounts', name: 'Health red', description: 'health score in the red band of the active health model (below its yellow threshold, 40 by default)' },
  { key: 'new-users', of: 'users', name: 'New users', description: 'first seen within the last newUserDays (7) days' },
  { key: 'dormant', of: 'users', name: 'Dormant', description: 'active in the dormantLookbackDays (30) before the last dormantQuietDays (14), not in the last 14 (win-back)' },
  { key: `${FEATURE_UNUSED_PREFIX}<event>`, of: 'users', name: 'Feature unused', description: 'active in the last featureUnusedActiveDays (30) days and never sent the track event <event>' },
  { key: 'nps-promoters', of: 'users', name: 'NPS promoters', description: 'latest NPS response in npsWindowDays (90) is 9–10' },
  { key: 'nps-passives', of: 'users', name: 'NPS passives', description: 'latest NPS response in npsWindowDays (90) is 7–8' },
  { key: 'nps-detractors', of: 'users', name: 'NPS detractors', description: 'latest NPS response in npsWindowDays (90) is 0–6' },
];

const byKey = new Map(BUILT_IN_SEGMENTS.map((segment) => [segment.key, segment]));

/**
 * The built-in segment a key names (`feature-unused:<event>` with any event), or undefined.
 *
 * @example
 * builtInSegment('feature-unused:Export CSV') // { key: 'feature-unused:Export CSV', of: 'users', … }
 */
export function builtInSegment(key: string): BuiltInSegment | undefined {
  if (key.startsWith(FEATURE_UNUSED_PREFIX)) {
    const event = key.slice(FEATURE_UNUSED_PREFIX.length);
    if (event === '' || event.length > 200) return undefined;
    return { key, of: 'users', name: `Feature unused: ${event}`, description: `active in the last featureUnusedActiveDays (30) days and never sent ${event}` };
  }
  return key.includes('<') ? undefined : byKey.get(key);
}

/** A key custom segments may not take: a built-in one, its prefix, or a route word. */
export function isReservedSegmentKey(key: string): boolean {
  return byKey.has(key) || key.startsWith('feature-unused') || key === 'settings';
}

/**
 * The accounts in a built-in account segment with their facts, in the order of `accounts`. Some
 * rules look at one account (utilisation); `top` and `trial-ready` rank accounts against each other.
 *
 * @example
 * accountsInSegment('low-utilization', facts, DEFAULT_SEGMENT_THRESHOLDS, '2026-03-31')
 */
export function accountsInSegment(key: string, accounts: readonly AccountFacts[], t: SegmentThresholds, asOf: string): AccountFacts[] {
  switch (key) {
    case 'post-onboarding': {
      const seenBy = addDays(asOf, -t.postOnboardingFirstSeenDays);
      return accounts.filter((a) => (a.onboardedAt !== null && a.onboardedAt <= asOf) || a.firstSeen <= seenBy);
    }
    case 'low-utilization':
      return accounts.filter((a) => a.utilisation !== null && lessThan(a.utilisation, t.lowUtilisation));
    case 'rising-utilization':
      return accounts.filter((a) => a.utilisationChange !== null && moreThan(a.utilisationChange, t.risingUtilisationChange));
    case 'usage-drop':
      return accounts.filter((a) => a.activeUserDaysBefore > 0 && atMost(a.activeUserDays, t.usageDropRatio * a.activeUserDaysBefore));
    case 'weekly-active':
      return accounts.filter((a) => a.activeWeeks.length > 0 && a.activeWeeks.every(Boolean));
    case 'top': {
      if (accounts.length === 0) return [];
      const descending = accounts.map((a) => a.score).sort((x, y) => y - x);
      const k = Math.max(1, Math.ceil(t.topShare * accounts.length - 1e-9));
      const cut = descending[Math.min(k, descending.length) - 1]!;
      return accounts.filter((a) => a.score >= cut && a.score > 0);
    }
    case 'low-engagement-after-onboarding': {
      const from = addDays(asOf, -t.lowEngagementOnboardedFromDays);
      const to = addDays(asOf, -t.lowEngagementOnboardedToDays);
      return accounts.filter((a) => a.onboardedAt !== null && a.onboardedAt >= from && a.onboardedAt <= to && atMost(a.percentile, t.lowEngagementMaxPercentile));
    }
    case 'champion-disengaged':
      return accounts.filter((a) => a.quietChampions.length > 0);
    case 'trial-ready': {
      const trials = accounts.filter((a) => a.trial);
      const scores = trials.map((a) => a.score).sort((x, y) => x - y);
      return trials.filter((a) => atLeast(percentRank(scores, a.score), t.trialReadyPercentRank));
    }
    case 'expansion-ready':
      return accounts.filter((a) => a.utilisation !== null && atLeast(a.utilisation, t.expansionUtilisation));
    case 'health-red':
      return accounts.filter((a) => a.health?.band === 'red');
    default:
      throw new Error(`not a built-in account segment: ${key}`);
  }
}

/** The ids of `accountsInSegment`. */
export const accountSegmentMembers = (key: string, accounts: readonly AccountFacts[], t: SegmentThresholds, asOf: string): string[] => accountsInSegment(key, accounts, t, asOf).map((account) => account.accountId);

/**
 * The users in a built-in user segment, in the order of `users`, with their facts.
 *
 * @example
 * usersInSegment('feature-unused:Export CSV', facts, DEFAULT_SEGMENT_THRESHOLDS, '2026-03-31')
 */
export function usersInSegment(key: string, users: readonly UserFacts[], t: SegmentThresholds, asOf: string): UserFacts[] {
  if (key.startsWith(FEATURE_UNUSED_PREFIX)) {
    const feature = key.slice(FEATURE_UNUSED_PREFIX.length);
    const from = windowOf(asOf, t.featureUnusedActiveDays).from;
    return users.filter((u) => u.lastActive !== null && u.lastActive >= from && !u.featuresUsed.has(feature));
  }
  const category = { 'nps-promoters': 'promoter', 'nps-passives': 'passive', 'nps-detractors': 'detractor' }[key];
  if (category !== undefined) return users.filter((u) => u.nps !== null && npsCategory(u.nps) === category);
  switch (key) {
    case 'new-users': {
      // The day worked out once: per user it took most of this segment's time at 50 k users.
      const from = windowOf(asOf, t.newUserDays).from;
      return users.filter((u) => u.firstSeen >= from);
    }
    case 'dormant': {
      const quietFrom = windowOf(asOf, t.dormantQuietDays).from;
      const lookbackFrom = addDays(quietFrom, -t.dormantLookbackDays);
      // Last active before the quiet days, within the lookback: active then, not since.
      return users.filter((u) => u.lastActive !== null && u.lastActive < quietFrom && u.lastActive >= lookbackFrom);
    }
    default:
      throw new Error(`not a built-in user segment: ${key}`);
  }
}

/** The ids of `usersInSegment`. */
export const userSegmentMembers = (key: string, users: readonly UserFacts[], t: SegmentThresholds, asOf: string): string[] => usersInSegment(key, users, t, asOf).map((user) => user.userId);
