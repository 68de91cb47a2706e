import type { AccountSegmentFacts, UserSegmentFacts } from '@uptake/protocol';
import { playOf, situationOf } from '../domain/plays.js';
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
  // Health itself is not among the wire facts (GET /v1/accounts/:id/health answers it with its
  // components): the facts behind its components that are.
  'health-red': ['percentile', 'utilisation', 'nps', 'activeUsers30d', 'quietChampions'],
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

/**
 * A short sentence for a member entering a built-in segment: the facts in words, and the play a
 * customer-success team runs for it (both defined in domain/plays.js). Null for custom segments.
 *
 * @example
 * playText('low-utilization', 'acme', { utilisation: 0.42, seats: 25 }) // 'acme: 42 % of 25 seats active in 30 days. Play: find who has a seat …'
 */
export function playText(segmentKey: string, memberId: string, facts: Record<string, unknown>): string | null {
  const play = playOf(segmentKey);
  if (play === undefined) return null;
  const situation = situationOf(segmentKey, facts);
  return `${memberId}${situation === undefined ? '' : `: ${situation}`}. Play: ${play}.`;
}
