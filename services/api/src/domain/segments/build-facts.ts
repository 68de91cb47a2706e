import type { SegmentThresholds } from '@uptake/protocol';
import { traitDay, windowOf } from '../days.ts';
import { npsCategory, npsOf } from '../nps.ts';
import { percentileOf } from '../score.ts';
import { utilisationChange, utilisationOf } from '../utilisation.ts';
import type { AccountActivitySummary } from './account-activity.ts';
import type { AccountFacts, SegmentFacts, UserFacts } from './facts.ts';
import type { History } from './fold-history.ts';

/** Everyone's score as of the day (0 for those seen without points), and the same scores ascending. */
export type ScoresOf = { byId: ReadonlyMap<string, number>; ascending: ArrayLike<number> };

/** Traits by id (users or accounts) as of the day. */
export type TraitsById = ReadonlyMap<string, Record<string, unknown>>;

/** An account's seats as of a day (null: unknown). */
export type SeatsRow = { accountId: string; seats: number | null };

/**
 * Everything the segment facts of a day are built from, as the readers of query/ return it
 * (query/segments-facts.queries.ts names each one).
 */
export type FactRows = {
  asOf: string;
  thresholds: SegmentThresholds;
  /** The whole history to `asOf` (fold-history.ts `historyOf`). */
  history: History;
  /** The traits the facts read (users: name, email, isChampion; accounts: name, onboardedAt, trial). */
  traits: { users: TraitsById; accounts: TraitsById };
  scores: { users: ScoresOf; accounts: ScoresOf };
  /** Each user's latest NPS answer in the `npsWindowDays` to `asOf` (user → score). */
  userNps: ReadonlyMap<string, number>;
  /** Per account, each of its users' latest answer among the account's answers in that window (account → user → score). */
  accountNps: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Every account seen by `asOf`, with the first day it was seen. */
  accountsSeen: ReadonlyArray<{ accountId: string; firstDay: string }>;
  /** Seats as of `asOf` and as of 30 days before. */
  seats: { asOf: readonly SeatsRow[]; before: readonly SeatsRow[] };
  /** What the accounts' active pairs add up to (account-activity.ts `accountActivitySummary`). */
  activity: AccountActivitySummary;
};

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Two trait records with the same own values (compared as they are: an object value is the same only as itself). */
function sameTraits(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && Object.is(a[key], b[key]));
}

/**
 * Every user's facts, by id; a user's facts in `previous` (sorted by id, as built before) are
 * used again where nothing they are made of changed: a history never changes a user in place
 * (fold-history.ts `withSpans` copies the users it changes), so the same feature set is the same
 * user history. After an event of today most users are taken as they were, not built again.
 */
function userFactsOf(rows: FactRows, previous: readonly UserFacts[]): UserFacts[] {
  const { traits, scores, history } = rows;
  let at = 0;
  return [...history.users.keys()].sort().map((userId) => {
    const user = history.users.get(userId)!;
    while (at < previous.length && previous[at]!.userId < userId) at++;
    const kept = previous[at]?.userId === userId ? previous[at] : undefined;
    const score = scores.users.byId.get(userId) ?? 0;
    const percentile = percentileOf(scores.users.ascending, score);
    const latest = rows.userNps.get(userId) ?? null;
    const own = traits.users.get(userId) ?? {};
    if (kept && kept.featuresUsed === user.featuresUsed && kept.score === score && kept.percentile === percentile && kept.nps === latest && sameTraits(kept.traits, own)) return kept;
    return {
      userId,
      firstSeen: user.firstSeen,
      lastActive: user.lastActive,
      score,
      percentile,
      accounts: [...user.accounts].sort(),
      nps: latest,
      npsCategory: latest === null ? null : npsCategory(latest),
      traits: own,
      featuresUsed: user.featuresUsed,
    } satisfies UserFacts;
  });
}

/** Every account's NPS over the window from its users' latest answers (as `npsSummary` in query/nps.queries.ts for one account). */
function npsByAccount(answers: FactRows['accountNps']): Map<string, ReturnType<typeof npsOf>> {
  return new Map([...answers].map(([accountId, byUser]) => [accountId, npsOf([...byUser.values()])]));
}

/**
 * The members with the isChampion trait not active in the account since `quietFrom` (the first
 * day of the championQuietDays to the day), by id in the order given.
 */
export function quietChampionsOf(members: ReadonlyArray<{ userId: string; lastActive: string | null }>, userTraits: TraitsById, quietFrom: string): string[] {
  return members.filter((member) => userTraits.get(member.userId)?.['isChampion'] === true && (member.lastActive === null || member.lastActive < quietFrom)).map((member) => member.userId);
}

function accountFactsOf(rows: FactRows): AccountFacts[] {
  const { asOf, thresholds: t, traits, scores, history } = rows;
  const { activity: activityOf, activeNow, activeBefore } = rows.activity;
  const seatsNow = new Map(rows.seats.asOf.map((row) => [row.accountId, row.seats]));
  const seatsBefore = new Map(rows.seats.before.map((row) => [row.accountId, row.seats]));
  const nps = npsByAccount(rows.accountNps);
  const quietFrom = windowOf(asOf, t.championQuietDays).from;
  const firstSeenOf = new Map(rows.accountsSeen.map((row) => [row.accountId, row.firstDay]));
  return [...firstSeenOf.keys()].sort(byId).map((accountId) => {
    const accountTraits = traits.accounts.get(accountId) ?? {};
    const own = [...(history.members.get(accountId) ?? [])].map(([userId, member]) => ({ userId, ...member })).sort((a, b) => byId(a.userId, b.userId));
    const firstSeen = own.reduce((min, member) => (member.firstDay < min ? member.firstDay : min), firstSeenOf.get(accountId)!);
    const lastActive = own.reduce<string | null>((max, member) => (member.lastActive !== null && (max === null || member.lastActive > max) ? member.lastActive : max), null);
    const seats = seatsNow.get(accountId) ?? null;
    const users30d = activeNow.get(accountId) ?? 0;
    const utilisation = utilisationOf(users30d, seats);
    const utilisation30dAgo = utilisationOf(activeBefore.get(accountId) ?? 0, seatsBefore.get(accountId) ?? null);
    const activity = activityOf.get(accountId);
    const score = scores.accounts.byId.get(accountId) ?? 0;
    return {
      accountId,
      firstSeen,
      lastActive,
      onboardedAt: traitDay(accountTraits['onboardedAt']),
      trial: accountTraits['trial'] === true,
      score,
      percentile: percentileOf(scores.accounts.ascending, score),
      seats,
      activeUsers30d: users30d,
      utilisation,
      utilisation30dAgo,
      utilisationChange: utilisationChange(utilisation, utilisation30dAgo),
      activeUserDays: activity?.recent ?? 0,
      activeUserDaysBefore: activity?.earlier ?? 0,
      activeWeeks: Array.from({ length: t.weeklyActiveWeeks }, (_, week) => activity?.weeks.has(week) ?? false),
      memberCount: own.length,
      quietChampions: quietChampionsOf(own, traits.users, quietFrom),
      nps: nps.get(accountId)?.nps ?? null,
      npsResponses: nps.get(accountId)?.responses ?? 0,
      traits: accountTraits,
      memberIds: own.map((member) => member.userId),
    } satisfies AccountFacts;
  });
}

/**
 * Every account's and user's segment facts as of a day (docs/api.md, Segments), built from what
 * the readers return: no database, no cache. Accounts are those seen by the day, users those with
 * any event by then, each list sorted by id. `previous`: facts built before from earlier rows,
 * whose users' facts are used again where unchanged (the same facts as built from nothing).
 *
 * @example
 * const facts = buildSegmentFacts({ asOf: '2026-03-31', thresholds, history, traits, scores, userNps, accountNps, accountsSeen, seats, activity });
 * accountSegmentMembers('usage-drop', facts.accounts, thresholds, facts.asOf);
 */
export function buildSegmentFacts(rows: FactRows, previous?: SegmentFacts): SegmentFacts {
  return { asOf: rows.asOf, accounts: accountFactsOf(rows), users: userFactsOf(rows, previous?.users ?? []) };
}
