import type { AccountSegmentFacts, UserSegmentFacts } from '@uptake/protocol';
import { FEATURE_UNUSED_PREFIX } from '../domain/segments/built-in.ts';

type WireFacts = AccountSegmentFacts | UserSegmentFacts;

/** Per built-in segment, the facts its rule reads (docs/api.md, Segments): what a transition records. */
const DECIDING_FACTS: Record<string, readonly string[]> = {
  'post-onboarding': ['onboardedAt', 'firstSeen'],
  'low-utilization': ['utilisation', 'seats', 'activeUsers30d'],
  'rising-utilization': ['utilisationChange', 'utilisation', 'utilisation30dAgo', 'seats'],
  'usage-drop': ['activeUserDays', 'activeUserDaysBefore'],
  'weekly-active': ['activeWeeks'],
  top: ['score', 'percentile'],
  'low-engagement-after-onboarding': ['onboardedAt', 'score', 'percentile'],
  'champion-disengaged': ['quietChampions'],
  'trial-ready': ['trial', 'score', 'percentile'],
  'expansion-ready': ['utilisation', 'seats', 'activeUsers30d'],
  'new-users': ['firstSeen'],
  dormant: ['lastActive'],
  'nps-promoters': ['nps', 'npsCategory'],
  'nps-passives': ['nps', 'npsCategory'],
  'nps-detractors': ['nps', 'npsCategory'],
};

/**
 * The facts that decided a member's place in a segment: for a built-in, the facts its rule reads;
 * for a custom segment (whose rule may read any), all of the member's wire facts.
 *
 * @example
 * decidingFacts('low-utilization', true, accountFacts) // { utilisation: 0.42, seats: 25, activeUsers30d: 10.5 }
 */
export function decidingFacts(segmentKey: string, builtIn: boolean, facts: WireFacts): Record<string, unknown> {
  if (!builtIn) return { ...facts };
  const names = segmentKey.startsWith(FEATURE_UNUSED_PREFIX) ? ['lastActive'] : (DECIDING_FACTS[segmentKey] ?? []);
  const all = facts as Record<string, unknown>;
  return Object.fromEntries(names.filter((name) => name in all).map((name) => [name, all[name]]));
}

const percent = (value: unknown) => (typeof value === 'number' ? `${Math.round(value * 100)} %` : 'unknown');

/**
 * A short sentence for a member entering a built-in segment: what happened, and the play a
 * customer-success team runs for it. Null for custom segments and exits (nothing to do).
 *
 * @example
 * playText('low-utilization', 'acme', { utilisation: 0.42, seats: 25 }) // 'acme: 42 % of 25 seats active in 30 days. Play: …'
 */
export function playText(segmentKey: string, memberId: string, facts: Record<string, unknown>): string | null {
  if (segmentKey.startsWith(FEATURE_UNUSED_PREFIX)) {
    return `${memberId} is active but has never used ${segmentKey.slice(FEATURE_UNUSED_PREFIX.length)}. Play: show them the feature in context.`;
  }
  switch (segmentKey) {
    case 'post-onboarding':
      return `${memberId} finished onboarding. Play: hand over from onboarding to customer success.`;
    case 'low-utilization':
      return `${memberId}: ${percent(facts['utilisation'])} of ${String(facts['seats'] ?? '?')} seats active in 30 days. Play: run an enablement session with the account's admin.`;
    case 'rising-utilization':
      return `${memberId}: utilisation up ${percent(facts['utilisationChange'])} on 30 days ago. Play: ask what changed and spread it to other teams.`;
    case 'usage-drop':
      return `${memberId}: ${String(facts['activeUserDays'])} active user-days, down from ${String(facts['activeUserDaysBefore'])} the period before. Play: reach out before renewal.`;
    case 'weekly-active':
      return `${memberId} is active every week. Play: ask for a case study or referral.`;
    case 'top':
      return `${memberId} is among the top accounts by score. Play: invite them to the advisory board.`;
    case 'low-engagement-after-onboarding':
      return `${memberId} onboarded but scores in the bottom quartile. Play: book a check-in call.`;
    case 'champion-disengaged':
      return `${memberId}: the champion has gone quiet. Play: find a new champion or re-engage the old one.`;
    case 'trial-ready':
      return `${memberId} is a trial in the top quartile. Play: offer the paid plan now.`;
    case 'expansion-ready':
      return `${memberId}: ${percent(facts['utilisation'])} of ${String(facts['seats'] ?? '?')} seats in use. Play: offer more seats.`;
    case 'new-users':
      return `${memberId} is new. Play: send the welcome sequence.`;
    case 'dormant':
      return `${memberId} was last active ${String(facts['lastActive'])}. Play: send a win-back message.`;
    case 'nps-promoters':
      return `${memberId} answered NPS ${String(facts['nps'])}. Play: ask for a review.`;
    case 'nps-passives':
      return `${memberId} answered NPS ${String(facts['nps'])}. Play: ask what would make it a 10.`;
    case 'nps-detractors':
      return `${memberId} answered NPS ${String(facts['nps'])}. Play: call them within a day.`;
    default:
      return null;
  }
}
