// What a customer-success team does when an account or user enters a built-in segment, and the
// facts that put it there in words (docs/plays.md). Plain JavaScript that imports nothing, so the
// dashboard runs this very file (as /dashboard/figures/plays.js); the segment history and Slack
// webhook messages read it too.

const FEATURE_UNUSED_PREFIX = 'feature-unused:';

/** The play of each built-in segment (`feature-unused:` stands for every `feature-unused:<event>`). */
export const PLAYS = {
  'post-onboarding': 'check the account reached its first value; schedule the first business review',
  'low-utilization': 'find who has a seat but is not using it; run an enablement session',
  'rising-utilization': 'momentum: share wins, line up an expansion conversation',
  'usage-drop': 'reach out before renewal risk grows: what changed?',
  'weekly-active': 'healthy habit: ask for a reference or case study',
  top: 'invite them to the advisory board and beta programmes',
  'low-engagement-after-onboarding': 'onboarding did not stick: offer a guided re-onboarding',
  'champion-disengaged': 'the champion went quiet: find out why, find a second champion',
  'trial-ready': 'trial accounts using the product most: sales follow-up now',
  'expansion-ready': 'nearly out of seats: propose more seats',
  'health-red': 'health in the red: read which components pulled it down and plan a save',
  'new-users': 'welcome sequence; show the features that matter first',
  dormant: 'win-back message with what changed since they left',
  [FEATURE_UNUSED_PREFIX]: 'nudge towards a valuable feature they never used',
  'nps-promoters': 'ask for a review or referral',
  'nps-passives': 'ask what would make it a 10',
  'nps-detractors': 'call them: close the loop within 48 hours',
};

/**
 * The play of a segment key, or undefined for a custom segment.
 *
 * @example
 * playOf('feature-unused:Export CSV') // 'nudge towards a valuable feature they never used'
 */
export function playOf(segmentKey) {
  return segmentKey.startsWith(FEATURE_UNUSED_PREFIX) ? PLAYS[FEATURE_UNUSED_PREFIX] : Object.hasOwn(PLAYS, segmentKey) ? PLAYS[segmentKey] : undefined;
}

const percent = (value) => (typeof value === 'number' ? `${Math.round(value * 100)} %` : '?');
const shown = (value) => (value === undefined || value === null ? '?' : String(value));

/**
 * The facts that put a member in a built-in segment, in words (the deciding facts the segment
 * history records), or undefined where the segment's name says it all.
 *
 * @example
 * situationOf('low-utilization', { utilisation: 0.42, seats: 25 }) // '42 % of 25 seats active in 30 days'
 */
export function situationOf(segmentKey, facts) {
  if (segmentKey.startsWith(FEATURE_UNUSED_PREFIX)) return `active, never used ${segmentKey.slice(FEATURE_UNUSED_PREFIX.length)}`;
  switch (segmentKey) {
    case 'low-utilization':
      return `${percent(facts.utilisation)} of ${shown(facts.seats)} seats active in 30 days`;
    case 'expansion-ready':
      return `${percent(facts.utilisation)} of ${shown(facts.seats)} seats in use`;
    case 'rising-utilization':
      return `utilisation up ${percent(facts.utilisationChange)} on 30 days ago`;
    case 'usage-drop':
      return `${shown(facts.activeUserDays)} active user-days, down from ${shown(facts.activeUserDaysBefore)} the period before`;
    case 'top':
    case 'low-engagement-after-onboarding':
    case 'trial-ready':
      return `score ${shown(facts.score)}, percentile ${shown(facts.percentile)}`;
    case 'dormant':
      return `last active ${shown(facts.lastActive)}`;
    case 'nps-promoters':
    case 'nps-passives':
    case 'nps-detractors':
      return `answered NPS ${shown(facts.nps)}`;
    default:
      return undefined;
  }
}
