import type { SegmentThresholds } from '@uptake/protocol';
import { addDays, dayCount, windowOf } from '../days.ts';

/**
 * One day's distinct (account, user) pairs with activity in the account, ids as small numbers
 * (kept so, the per-day parts stay small in the figure cache): pair i is
 * (`accountIds[accounts[i]]`, `userIds[users[i]]`) of the {@link ActivePairs} holding the day.
 */
export type ActiveDay = { day: string; accounts: ArrayLike<number>; users: ArrayLike<number> };

/** Some days' active pairs with the ids their numbers stand for. Days may come in any order. */
export type ActivePairs = { accountIds: readonly string[]; userIds: readonly string[]; days: readonly ActiveDay[] };

/** Per account: active user-days in the period to the day and in the period before, and the 7-day blocks back from the day (0 = the last 7 days) with any activity. */
export type AccountActivity = { recent: number; earlier: number; weeks: Set<number> };

/**
 * How many days to a day the account facts read active pairs of: the usage-drop period and the
 * one before it, the weekly-active weeks, and the 30 days of utilisation.
 */
export function activityDays(t: Pick<SegmentThresholds, 'usageDropPeriodDays' | 'weeklyActiveWeeks'>): number {
  return Math.max(2 * t.usageDropPeriodDays, 7 * t.weeklyActiveWeeks, 30);
}

/**
 * Distinct active users per account over the days of `pairs` within `window` (others ignored).
 *
 * @example
 * activeUsersPerAccount({ accountIds: ['acme'], userIds: ['u1', 'u2'], days: [{ day: '2026-03-30', accounts: [0, 0], users: [0, 1] }, { day: '2026-03-31', accounts: [0], users: [1] }] }, { from: '2026-03-02', to: '2026-03-31' })
 * // Map { acme → 2 }
 */
export function activeUsersPerAccount(pairs: ActivePairs, window: { from: string; to: string }): Map<string, number> {
  const usersOf = new Map<number, Set<number>>();
  for (const { day, accounts, users } of pairs.days) {
    if (day < window.from || day > window.to) continue;
    for (let index = 0; index < accounts.length; index++) {
      const account = accounts[index]!;
      let seen = usersOf.get(account);
      if (!seen) usersOf.set(account, (seen = new Set()));
      seen.add(users[index]!);
    }
  }
  return new Map([...usersOf].map(([account, seen]) => [pairs.accountIds[account]!, seen.size]));
}

/**
 * Per account with any activity in it: active user-days (one per active member and day) in the
 * `period` days to `asOf` and in the `period` days before, and the 7-day blocks back from `asOf`
 * with any activity among the first `weeks`. Days after `asOf` or too far back are ignored.
 *
 * @example
 * accountActivityOf({ pairs, asOf: '2026-03-31', period: 30, weeks: 4 }).get('acme') // { recent: 3, earlier: 0, weeks: {0} }
 */
export function accountActivityOf({ pairs, asOf, period, weeks }: { pairs: ActivePairs; asOf: string; period: number; weeks: number }): Map<string, AccountActivity> {
  const byNumber = new Map<number, AccountActivity>();
  for (const { day, accounts } of pairs.days) {
    if (day > asOf) continue;
    const back = dayCount(day, asOf) - 1; // asOf − day
    if (back >= 2 * period && back >= 7 * weeks) continue;
    for (let index = 0; index < accounts.length; index++) {
      const account = accounts[index]!;
      let activity = byNumber.get(account);
      if (!activity) byNumber.set(account, (activity = { recent: 0, earlier: 0, weeks: new Set() }));
      if (back < period) activity.recent++;
      else if (back < 2 * period) activity.earlier++;
      if (back < 7 * weeks) activity.weeks.add(Math.floor(back / 7));
    }
  }
  return new Map([...byNumber].map(([account, activity]) => [pairs.accountIds[account]!, activity]));
}

/**
 * What the account facts read of the active pairs (build-facts.ts): per account its activity to
 * `asOf` (`accountActivityOf`; an account without an entry had none), and its distinct active
 * users in the 30 days to `asOf` and in the 30 days to 30 days before (`activeUsersPerAccount`).
 */
export type AccountActivitySummary = { activity: ReadonlyMap<string, AccountActivity>; activeNow: ReadonlyMap<string, number>; activeBefore: ReadonlyMap<string, number> };

/**
 * The summary from active pairs with links and joins as of `asOf` over (at least) the
 * `activityDays` to it, and over the 30 days to 30 days before with links and joins as of then.
 * (figure-sql/account-activity.ts is the same in SQL, for pairs kept in the database.)
 */
export function accountActivitySummary(pairs: { asOf: ActivePairs; before: ActivePairs }, asOf: string, t: Pick<SegmentThresholds, 'usageDropPeriodDays' | 'weeklyActiveWeeks'>): AccountActivitySummary {
  return {
    activity: accountActivityOf({ pairs: pairs.asOf, asOf, period: t.usageDropPeriodDays, weeks: t.weeklyActiveWeeks }),
    activeNow: activeUsersPerAccount(pairs.asOf, windowOf(asOf, 30)),
    activeBefore: activeUsersPerAccount(pairs.before, windowOf(addDays(asOf, -30), 30)),
  };
}
