import type { AccountSegmentFacts, HealthBand, UserSegmentFacts } from '@uptake/protocol';

/** Everything the account segments look at, as of a day (the wire facts plus traits). */
export type AccountFacts = AccountSegmentFacts & {
  /**
   * The account traits the facts read (name, onboardedAt, trial) as merged from its group calls up
   * to the day, later ones winning. Custom rules read the traits they name through `traitsAsOf` (query/traits-as-of.queries.ts).
   */
  traits: Record<string, unknown>;
  /**
   * The members (users with an event belonging to the account), by id. Not on the wire: the list
   * can be long, so GET /v1/accounts/:accountId/users pages it.
   */
  memberIds: readonly string[];
  /**
   * Its health under the project's active health model (domain/health.ts), which the `health-red`
   * segment reads; attached by query/segments-facts.queries.ts. Not on the wire: GET
   * /v1/accounts/:accountId/health answers it with its components.
   */
  health?: { score: number | null; band: HealthBand | null } | undefined;
};

/** Everything the user segments look at, as of a day. */
export type UserFacts = UserSegmentFacts & {
  /** The user traits the facts read (name, email, isChampion), as for accounts. */
  traits: Record<string, unknown>;
  /** Every track event name the user sent up to the day. */
  featuresUsed: ReadonlySet<string>;
};

/** The facts of one segment kind, with the asOf day they were computed for. */
export type SegmentFacts = { asOf: string; accounts: AccountFacts[]; users: UserFacts[] };

/**
 * The item of `id` in a list sorted by id (as the facts' lists are), by binary search: a user's
 * facts among 50 k without a walk or a map built for one lookup.
 *
 * @example
 * findById(facts.users, 'u1', (user) => user.userId)
 */
export function findById<T>(sorted: readonly T[], id: string, idOf: (item: T) => string): T | undefined {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = idOf(sorted[middle]!);
    if (at === id) return sorted[middle];
    if (at < id) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** Wire form of the facts (no traits, no feature set). */
export function accountFactsForWire(facts: AccountFacts): AccountSegmentFacts {
  const { traits: _traits, memberIds: _members, health: _health, ...wire } = facts;
  return wire;
}

export function userFactsForWire(facts: UserFacts): UserSegmentFacts {
  const { traits: _traits, featuresUsed: _features, ...wire } = facts;
  return wire;
}
