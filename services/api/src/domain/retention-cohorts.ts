import { addDays } from './days.ts';

/**
 * Retention cohorts (docs/api.md, "Retention cohorts"): users grouped by the week or month they
 * were first seen, and per later period the share of them active in it. Pure: the query layer
 * hands in first-seen days and active days.
 */

export type CohortPeriod = 'week' | 'month';

/**
 * The first day of the period holding `day`: the Monday of its ISO week (weeks start on Monday,
 * UTC), or the first of its month.
 *
 * @example
 * periodStart('2026-12-05', 'week')  // '2026-11-30' (a Saturday → that week's Monday)
 * periodStart('2026-12-05', 'month') // '2026-12-01'
 */
export function periodStart(day: string, by: CohortPeriod): string {
  if (by === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 Sunday … 6 Saturday
  return addDays(day, -((weekday + 6) % 7));
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriodStart(start: string, by: CohortPeriod): string {
  if (by === 'week') return addDays(start, 7);
  const [year, month] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))];
  return month === 12 ? `${String(year + 1).padStart(4, '0')}-01-01` : `${start.slice(0, 4)}-${String(month + 1).padStart(2, '0')}-01`;
}

export type RetentionCohort = {
  start: string;
  size: number;
  periods: Array<{ period: number; start: string; active: number; share: number }>;
};

/**
 * The cohorts of the users first seen in `from` … `to`: by the period of their first-seen day,
 * oldest first (periods nobody was first seen in are left out). Each cohort lists its own period
 * (0) and every later one starting by `to`, with the cohort's users active on some day of it
 * (only days in `from` … `to` count: the first and last periods may be partial) and their share
 * of the cohort (a ratio).
 *
 * @example
 * retentionCohorts({ by: 'week', from: '2026-11-02', to: '2026-11-15', firstSeen: new Map([['u1', '2026-11-03']]), activeDays: new Map([['u1', ['2026-11-03', '2026-11-10']]]) })
 * // [{ start: '2026-11-02', size: 1, periods: [{ period: 0, start: '2026-11-02', active: 1, share: 1 }, { period: 1, start: '2026-11-09', active: 1, share: 1 }] }]
 */
export function retentionCohorts(input: {
  by: CohortPeriod;
  from: string;
  to: string;
  firstSeen: ReadonlyMap<string, string>;
  activeDays: ReadonlyMap<string, Iterable<string>>;
}): RetentionCohort[] {
  const { by, from, to } = input;
  // Every period start from the first to the last, in order, with its index.
  const starts: string[] = [];
  for (let start = periodStart(from, by); start <= to; start = nextPeriodStart(start, by)) starts.push(start);
  const indexOf = new Map(starts.map((start, index) => [start, index]));
  const cohortUsers = new Map<number, string[]>();
  for (const [userId, day] of input.firstSeen) {
    if (day < from || day > to) continue;
    const index = indexOf.get(periodStart(day, by))!;
    const users = cohortUsers.get(index);
    if (users) users.push(userId);
    else cohortUsers.set(index, [userId]);
  }
  return [...cohortUsers]
    .sort(([a], [b]) => a - b)
    .map(([cohort, users]) => {
      const active = new Array<number>(starts.length - cohort).fill(0);
      for (const userId of users) {
        const periods = new Set<number>();
        for (const day of input.activeDays.get(userId) ?? []) {
          if (day < from || day > to) continue;
          const index = indexOf.get(periodStart(day, by))!;
          if (index >= cohort) periods.add(index - cohort);
        }
        for (const period of periods) active[period]! += 1;
      }
      return {
        start: starts[cohort]!,
        size: users.length,
        periods: active.map((count, period) => ({ period, start: starts[cohort + period]!, active: count, share: count / users.length })),
      };
    });
}
