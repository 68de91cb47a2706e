import { isActivityEvent, isTrackEvent } from '../activity.ts';

/** One user's whole history to a day. */
export type UserHistory = { firstSeen: string; lastActive: string | null; accounts: Set<string>; featuresUsed: Set<string> };

/** One member of an account (a user with any event belonging to it) over the whole history to a day. */
export type MemberHistory = { firstDay: string; lastActive: string | null };

/** Over the whole history to a day: per user, and per account and member. */
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

/** Adds one span of a member's days to what is known of it, by key. */
function mergeMember(known: Map<string, MemberHistory>, key: string, firstDay: string, lastActive: string | null) {
  const member = known.get(key);
  if (!member) known.set(key, { firstDay, lastActive });
  else {
    if (firstDay < member.firstDay) member.firstDay = firstDay;
    member.lastActive = later(member.lastActive, lastActive);
  }
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

function historyOfSpans(spans: readonly SpanRow[], memberships: readonly MembershipRow[]): History {
  const history: History = { users: new Map(), members: new Map() };
  const unnamed = new Map<string, MemberHistory>();
  for (const row of spans) {
    const user = userOf(history, row.userId, row.firstDay);
    user.lastActive = later(user.lastActive, row.lastActive);
    for (const event of row.features ?? []) user.featuresUsed.add(event);
    if (row.accountKey === '') mergeMember(unnamed, row.userId, row.firstDay, row.lastActive);
    else {
      user.accounts.add(row.accountKey);
      addMember(history, row.accountKey, row.userId, row.firstDay, row.lastActive);
    }
  }
  // Events naming no account belong to every account the user had joined by then.
  for (const { accountId, userId } of memberships) {
    const own = unnamed.get(userId);
    if (own) addMember(history, accountId, userId, own.firstDay, own.lastActive);
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
  return rows.from === 'spans' ? historyOfSpans(rows.spans, rows.memberships) : historyOfDays(rows.events, rows.members);
}
