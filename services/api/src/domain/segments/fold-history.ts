import { isActivityEvent, isTrackEvent } from '../activity.ts';

/** One user's whole history to a day. */
export type UserHistory = { firstSeen: string; lastActive: string | null; accounts: Set<string>; featuresUsed: Set<string> };

/** One member of an account (a user with any event belonging to it) over the whole history to a day. */
export type MemberHistory = { firstDay: string; lastActive: string | null };

/**
 * Over the whole history to a day: per user, and per account and member. Never changed once
 * made: a later history (`withSpans`) copies what it changes, so the facts built from one stay as
 * they were, and an unchanged user is the same object in both.
 */
export type History = { users: Map<string, UserHistory>; members: Map<string, Map<string, MemberHistory>> };

/**
 * Per user and account key (`''`: events naming no account), over every event kind of the
 * activity spans to the day: the first day of any event, the last day of activity (null: none),
 * the track events sent (null: none).
 */
export type SpanRow = { userId: string; accountKey: string; firstDay: string; lastActive: string | null; features: readonly string[] | null };

/** A user who had joined an account by the end of the day. */
export type MembershipRow = { accountId: string; userId: string };

/** Per user, account key and event: the first and last day the user sent it, to the day. */
export type UserEventRow = { userId: string; accountKey: string; event: string; firstDay: string; lastDay: string };

/** Per account and member: the first day of any event belonging to the account, the last day of activity in it (null: none). */
export type MemberRow = { accountId: string; userId: string; firstDay: string; lastActive: string | null };

/**
 * What a history is folded from: the span rows with the memberships, as
 * query/activity-history.queries.ts reads them (events naming no account belong to every account
 * the user had joined by then), or rows from every day's events with the members already resolved
 * (as the tests' oracle gives them); both forms fold to the same history.
 */
export type HistoryRows =
  | { from: 'spans'; spans: readonly SpanRow[]; memberships: readonly MembershipRow[] }
  | { from: 'days'; events: readonly UserEventRow[]; members: readonly MemberRow[] };

/** The later of two days, either of which may be missing (null). */
export const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a > b ? a : b);

/** Adds one span of a member's days to what is known of it, by key (a new object: a kept one may be shared with an earlier history). */
function mergeMember(known: Map<string, MemberHistory>, key: string, firstDay: string, lastActive: string | null) {
  const member = known.get(key);
  known.set(key, member ? { firstDay: firstDay < member.firstDay ? firstDay : member.firstDay, lastActive: later(member.lastActive, lastActive) } : { firstDay, lastActive });
}

function addMember(history: History, accountId: string, userId: string, firstDay: string, lastActive: string | null) {
  let members = history.members.get(accountId);
  if (!members) history.members.set(accountId, (members = new Map()));
  mergeMember(members, userId, firstDay, lastActive);
}

function userOf(history: History, userId: string, firstDay: string): UserHistory {
  let user = history.users.get(userId);
  if (!user) history.users.set(userId, (user = { firstSeen: firstDay, lastActive: null, accounts: new Set(), featuresUsed: new Set() }));
  else if (firstDay < user.firstSeen) user.firstSeen = firstDay;
  return user;
}

/** The accounts each user had joined, from the membership rows (what events naming no account belong to). */
export function joinedByUser(memberships: readonly MembershipRow[]): Map<string, string[]> {
  const joined = new Map<string, string[]>();
  for (const { accountId, userId } of memberships) {
    const accounts = joined.get(userId);
    if (accounts) accounts.push(accountId);
    else joined.set(userId, [accountId]);
  }
  return joined;
}

/**
 * `base` (none: an empty history) with span rows folded in, as a new history; `base` is left as
 * it was, so whoever holds it (facts built from it) never sees it change. Every part is a min, a
 * max or a union, so folding a user's newer rows into the history of their older ones gives what
 * one fold of all of them gives: a kept history is brought up to date from the changed rows
 * alone. The users and accounts the rows touch are copied; the rest is shared with `base`.
 * `joined`: the accounts each user had joined (`joinedByUser`), which events naming no account
 * belong to.
 *
 * @example
 * const later = withSpans(history, changedRows, joinedByUser(memberships)); // history unchanged
 */
export function withSpans(base: History | undefined, spans: readonly SpanRow[], joined: ReadonlyMap<string, readonly string[]>): History {
  const history: History = { users: new Map(base?.users), members: new Map(base?.members) };
  // The users and accounts' member maps this fold made: changed in place; the others are base's, copied before a change.
  const madeUsers = new Set<string>();
  const madeMembers = new Set<string>();
  const membersOf = (accountId: string) => {
    const kept = history.members.get(accountId);
    if (kept && madeMembers.has(accountId)) return kept;
    const members = new Map(kept);
    history.members.set(accountId, members);
    madeMembers.add(accountId);
    return members;
  };
  for (const row of spans) {
    let user = history.users.get(row.userId);
    if (!user || !madeUsers.has(row.userId)) {
      user = user
        ? { firstSeen: user.firstSeen, lastActive: user.lastActive, accounts: new Set(user.accounts), featuresUsed: new Set(user.featuresUsed) }
        : { firstSeen: row.firstDay, lastActive: null, accounts: new Set(), featuresUsed: new Set() };
      history.users.set(row.userId, user);
      madeUsers.add(row.userId);
    }
    if (row.firstDay < user.firstSeen) user.firstSeen = row.firstDay;
    user.lastActive = later(user.lastActive, row.lastActive);
    for (const event of row.features ?? []) user.featuresUsed.add(event);
    if (row.accountKey !== '') user.accounts.add(row.accountKey);
    // Events naming no account belong to every account the user had joined by then.
    for (const accountId of row.accountKey === '' ? (joined.get(row.userId) ?? []) : [row.accountKey]) mergeMember(membersOf(accountId), row.userId, row.firstDay, row.lastActive);
  }
  return history;
}

function historyOfDays(events: readonly UserEventRow[], members: readonly MemberRow[]): History {
  const history: History = { users: new Map(), members: new Map() };
  for (const row of events) {
    const user = userOf(history, row.userId, row.firstDay);
    if (isActivityEvent(row.event)) user.lastActive = later(user.lastActive, row.lastDay);
    if (row.accountKey !== '') user.accounts.add(row.accountKey);
    if (isTrackEvent(row.event)) user.featuresUsed.add(row.event);
  }
  for (const row of members) addMember(history, row.accountId, row.userId, row.firstDay, row.lastActive);
  return history;
}

/**
 * Users' and accounts' whole-history facts (first seen, last active, accounts, features used,
 * members) folded from either form of rows; both give the same history for the same events.
 *
 * @example
 * historyOf({ from: 'spans', spans: [{ userId: 'u1', accountKey: 'acme', firstDay: '2026-03-01', lastActive: '2026-03-09', features: ['Export'] }], memberships: [] })
 * // users: u1 → { firstSeen: '2026-03-01', lastActive: '2026-03-09', accounts: {acme}, featuresUsed: {Export} }; members: acme → u1
 */
export function historyOf(rows: HistoryRows): History {
  return rows.from === 'spans' ? withSpans(undefined, rows.spans, joinedByUser(rows.memberships)) : historyOfDays(rows.events, rows.members);
}
