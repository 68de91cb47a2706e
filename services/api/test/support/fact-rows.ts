/**
 * A small event model for the pure fact builder (src/domain/segments/): events as the per-day
 * tables hold them (identity links already resolved), the rows the readers of src/query/ would
 * return for them, and a naive fold written straight from the definitions (docs/api.md,
 * Definitions) by scanning every event, so the builder's merging is checked against something
 * that merges nothing.
 */
import fc from 'fast-check';
import { isActivityEvent, isTrackEvent } from '../../src/domain/activity.ts';
import { addDays } from '../../src/domain/days.ts';
import type { ActivePairs } from '../../src/domain/segments/account-activity.ts';
import type { HistoryRows } from '../../src/domain/segments/fold-history.ts';

export const AS_OF = '2026-03-31';
export const USERS = ['u1', 'u2', 'u3', 'u4'] as const;
export const ACCOUNTS = ['acme', 'beta', 'zeta'] as const;
/** Track events, a page view, the calls that are no activity, an NPS answer (activity it is not, a track event it is). */
export const EVENTS = ['Report Created', 'Export CSV', '$page', '$identify', '$group', '$nps_response'] as const;

/** One user's events of one kind on a day (`accountKey` '': naming no account). */
export type DayEvent = { userId: string; accountKey: string; day: string; event: string };
export type Membership = { accountId: string; userId: string };

/** Events up to `maxBack` days before AS_OF. */
export const dayEvents = (maxBack: number) =>
  fc.array(
    fc.record({
      userId: fc.constantFrom(...USERS),
      accountKey: fc.constantFrom('', ...ACCOUNTS),
      day: fc.integer({ min: 0, max: maxBack }).map((back) => addDays(AS_OF, -back)),
      event: fc.constantFrom(...EVENTS),
    }),
    { maxLength: 40 },
  );

export const memberships = fc.uniqueArray(fc.record({ accountId: fc.constantFrom(...ACCOUNTS), userId: fc.constantFrom(...USERS) }), { selector: (m) => `${m.accountId}/${m.userId}` });

/** A seed for {@link shuffled}. */
export const seed = fc.integer({ min: 1, max: 2 ** 31 - 2 });

/** The items in an order drawn from `seed` (Park–Miller steps, Fisher–Yates). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 48271) % 2147483647;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/** The accounts an event belongs to: the one it names, else every account its user had joined. */
export function accountsOf(event: DayEvent, joined: readonly Membership[]): string[] {
  return event.accountKey !== '' ? [event.accountKey] : joined.filter((m) => m.userId === event.userId).map((m) => m.accountId);
}

const min = (days: string[]) => days.reduce((a, b) => (b < a ? b : a));
const maxOrNull = (days: string[]) => (days.length === 0 ? null : days.reduce((a, b) => (b > a ? b : a)));
const activeDays = (events: readonly DayEvent[]) => events.filter((e) => isActivityEvent(e.event)).map((e) => e.day);
const unique = <T>(items: T[]) => [...new Set(items)];

/** Rows grouped by a key, in first-seen order. */
function groups<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const byKey = new Map<string, T[]>();
  for (const item of items) byKey.set(key(item), [...(byKey.get(key(item)) ?? []), item]);
  return [...byKey.values()];
}

/**
 * The rows query/activity-history.queries.ts reads from event_spans: per user and account key,
 * the first day, the last active day and the track events (array_agg over one span per event).
 */
export function spanRowsOf(events: readonly DayEvent[], joined: readonly Membership[]): HistoryRows {
  const spans = groups(events, (e) => `${e.userId}\u0000${e.accountKey}`).map((group) => {
    const features = unique(group.filter((e) => isTrackEvent(e.event)).map((e) => e.event));
    return { userId: group[0]!.userId, accountKey: group[0]!.accountKey, firstDay: min(group.map((e) => e.day)), lastActive: maxOrNull(activeDays(group)), features: features.length === 0 ? null : features };
  });
  return { from: 'spans', spans, memberships: joined };
}

/** The rows of every day, the other form fold-history.ts folds: per user, account key and event; per account and member. */
export function dayRowsOf(events: readonly DayEvent[], joined: readonly Membership[]): HistoryRows {
  const rows = groups(events, (e) => `${e.userId}\u0000${e.accountKey}\u0000${e.event}`).map((group) => {
    const days = group.map((e) => e.day);
    return { userId: group[0]!.userId, accountKey: group[0]!.accountKey, event: group[0]!.event, firstDay: min(days), lastDay: maxOrNull(days)! };
  });
  const owned = events.flatMap((e) => accountsOf(e, joined).map((accountId) => ({ ...e, accountId })));
  const members = groups(owned, (e) => `${e.accountId}\u0000${e.userId}`).map((group) => ({
    accountId: group[0]!.accountId,
    userId: group[0]!.userId,
    firstDay: min(group.map((e) => e.day)),
    lastActive: maxOrNull(activeDays(group)),
  }));
  return { from: 'days', events: rows, members };
}

/** Per user with any event: first seen, last active, accounts named, features used (sorted), by scanning every event. */
export function naiveUsers(events: readonly DayEvent[]) {
  return unique(events.map((e) => e.userId))
    .sort()
    .map((userId) => {
      const own = events.filter((e) => e.userId === userId);
      return {
        userId,
        firstSeen: min(own.map((e) => e.day)),
        lastActive: maxOrNull(activeDays(own)),
        accounts: unique(own.map((e) => e.accountKey).filter((key) => key !== '')).sort(),
        featuresUsed: unique(own.map((e) => e.event).filter(isTrackEvent)).sort(),
      };
    });
}

/** Per account and user with any event belonging to it: first day and last active day, by scanning every event. */
export function naiveMember(events: readonly DayEvent[], joined: readonly Membership[], accountId: string, userId: string) {
  const own = events.filter((e) => e.userId === userId && accountsOf(e, joined).includes(accountId));
  return own.length === 0 ? null : { firstDay: min(own.map((e) => e.day)), lastActive: maxOrNull(activeDays(own)) };
}

/** One active (account, user) pair on a day. */
export type ActivePair = { day: string; accountId: string; userId: string };

/** The distinct active pairs of the events, as the per-day reader finds them. */
export function activePairsOfEvents(events: readonly DayEvent[], joined: readonly Membership[]): ActivePair[] {
  const pairs = events.filter((e) => isActivityEvent(e.event)).flatMap((e) => accountsOf(e, joined).map((accountId) => ({ day: e.day, accountId, userId: e.userId })));
  return groups(pairs, (p) => `${p.day}\u0000${p.accountId}\u0000${p.userId}`).map((group) => group[0]!);
}

/** Pairs in the numbered form of query/active-pairs.queries.ts, numbering ids (and ordering days) in an order drawn from `seed`. */
export function numberedPairs(pairs: readonly ActivePair[], seed = 1): ActivePairs {
  const accountIds = shuffled(unique(pairs.map((p) => p.accountId)), seed);
  const userIds = shuffled(unique(pairs.map((p) => p.userId)), seed + 1);
  const days = shuffled(
    groups(pairs, (p) => p.day).map((group) => ({ day: group[0]!.day, accounts: group.map((p) => accountIds.indexOf(p.accountId)), users: group.map((p) => userIds.indexOf(p.userId)) })),
    seed + 2,
  );
  return { accountIds, userIds, days };
}

/** Days from `day` back to `asOf` (0: the same day; negative after it), from the dates' milliseconds. */
export const daysBack = (day: string, asOf: string) => (Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / 86_400_000;
