/**
 * The account activity folds (src/domain/segments/account-activity.ts) without a database: active
 * users per account in a window, active user-days now and before, active weeks. Table tests on
 * hand-made days, properties against a naive count over the pairs (support/fact-rows.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, windowOf } from '../../../src/domain/days.ts';
import { accountActivityOf, activeUsersPerAccount, activityDays } from '../../../src/domain/segments/account-activity.ts';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../../src/domain/segments/thresholds.ts';
import { AS_OF, activePairsOfEvents, dayEvents, daysBack, memberships, numberedPairs, seed, type ActivePair } from '../../support/fact-rows.ts';

const pair = (back: number, accountId: string, userId: string): ActivePair => ({ day: addDays(AS_OF, -back), accountId, userId });

describe('account activity', () => {
  it.each([
    { name: 'no days', pairs: [], window: 30, expected: {} },
    { name: 'one user on two days counts once', pairs: [pair(0, 'acme', 'u1'), pair(3, 'acme', 'u1')], window: 30, expected: { acme: 1 } },
    { name: 'two users, two accounts', pairs: [pair(0, 'acme', 'u1'), pair(1, 'acme', 'u2'), pair(2, 'beta', 'u1')], window: 30, expected: { acme: 2, beta: 1 } },
    { name: 'the window’s first day is in, the day before it and the day after asOf out', pairs: [pair(29, 'acme', 'u1'), pair(30, 'acme', 'u2'), pair(-1, 'acme', 'u3')], window: 30, expected: { acme: 1 } },
  ])('active users per account: $name', ({ pairs, window, expected }) => {
    expect(Object.fromEntries(activeUsersPerAccount(numberedPairs(pairs), windowOf(AS_OF, window)))).toEqual(expected);
  });

  it.each([
    { name: 'today and yesterday: recent, week 0', pairs: [pair(0, 'acme', 'u1'), pair(1, 'acme', 'u1')], expected: { recent: 2, earlier: 0, weeks: [0] } },
    { name: 'two users one day: two user-days', pairs: [pair(6, 'acme', 'u1'), pair(6, 'acme', 'u2')], expected: { recent: 2, earlier: 0, weeks: [0] } },
    { name: 'day 7 starts week 1; day 27 is the last of week 3', pairs: [pair(7, 'acme', 'u1'), pair(27, 'acme', 'u1')], expected: { recent: 2, earlier: 0, weeks: [1, 3] } },
    { name: 'day 28 is past the weeks, day 30 the period before', pairs: [pair(28, 'acme', 'u1'), pair(30, 'acme', 'u1'), pair(59, 'acme', 'u2')], expected: { recent: 1, earlier: 2, weeks: [] } },
  ])('active user-days and weeks (period 30, 4 weeks): $name', ({ pairs, expected }) => {
    const activity = accountActivityOf({ pairs: numberedPairs(pairs), asOf: AS_OF, period: 30, weeks: 4 }).get('acme');
    expect(activity && { recent: activity.recent, earlier: activity.earlier, weeks: [...activity.weeks].sort() }).toEqual(expected);
  });

  it('leaves out accounts whose only days are after asOf or past every period', () => {
    const activity = accountActivityOf({ pairs: numberedPairs([pair(-1, 'acme', 'u1'), pair(60, 'beta', 'u1')]), asOf: AS_OF, period: 30, weeks: 4 });
    expect([...activity.keys()]).toEqual([]);
  });

  it('reads the longest of the usage-drop periods, the weeks and utilisation’s 30 days', () => {
    expect(activityDays(DEFAULT_SEGMENT_THRESHOLDS)).toBe(60);
    expect(activityDays({ usageDropPeriodDays: 7, weeklyActiveWeeks: 2 })).toBe(30);
    expect(activityDays({ usageDropPeriodDays: 7, weeklyActiveWeeks: 12 })).toBe(84);
  });

  it('equals a naive count over the pairs, whatever the numbering and the order of days and pairs; days after asOf change nothing', () => {
    fc.assert(
      fc.property(
        dayEvents(80),
        memberships,
        dayEvents(0).map((events) => events.map((e, index) => ({ ...e, day: addDays(AS_OF, 1 + (index % 5)) }))),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 40 }),
        seed,
        (events, joined, after, period, weeks, window, order) => {
          const pairs = activePairsOfEvents(events, joined);
          const later = activePairsOfEvents(after, joined);
          const expectedUsers = new Map<string, number>();
          for (const accountId of new Set(pairs.map((p) => p.accountId))) {
            const users = new Set(pairs.filter((p) => p.accountId === accountId && daysBack(p.day, AS_OF) < window).map((p) => p.userId));
            if (users.size > 0) expectedUsers.set(accountId, users.size);
          }
          const expectedActivity = new Map<string, { recent: number; earlier: number; weeks: number[] }>();
          for (const accountId of new Set(pairs.map((p) => p.accountId))) {
            const backs = pairs.filter((p) => p.accountId === accountId).map((p) => daysBack(p.day, AS_OF));
            if (backs.every((back) => back >= 2 * period && back >= 7 * weeks)) continue;
            expectedActivity.set(accountId, {
              recent: backs.filter((back) => back < period).length,
              earlier: backs.filter((back) => back >= period && back < 2 * period).length,
              weeks: [...new Set(backs.filter((back) => back < 7 * weeks).map((back) => Math.floor(back / 7)))].sort((a, b) => a - b),
            });
          }
          for (const numbered of [numberedPairs(pairs, order), numberedPairs([...pairs, ...later], order + 7)]) {
            expect(activeUsersPerAccount(numbered, windowOf(AS_OF, window))).toEqual(expectedUsers);
            const activity = accountActivityOf({ pairs: numbered, asOf: AS_OF, period, weeks });
            expect(new Map([...activity].map(([id, a]) => [id, { recent: a.recent, earlier: a.earlier, weeks: [...a.weeks].sort((x, y) => x - y) }]))).toEqual(expectedActivity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
