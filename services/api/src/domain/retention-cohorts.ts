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
 * A count of a cohort's users (cohorts start at the period of their users' first-seen day):
 * `period` null, the cohort's size; else the users of the cohort active on some day in
 * `from` … `to` of the period starting at `period` (a period from the cohort's own on).
 */
export type CohortCount = { cohort: string; period: string | null; users: number };

type CohortInput = {
  by: CohortPeriod;
  from: string;
  to: string;
  firstSeen: ReadonlyMap<string, string>;
  activeDays: ReadonlyMap<string, Iterable<string>>;
};

/**
 * The counts the cohorts are made of (`cohortsOfCounts`): each cohort's size and, per later
 * period, its users active in it. Only users first seen and days in `from` … `to` count
 * (figure-sql/retention-cohorts.ts is the SQL form).
 *
 * @example
 * cohortCounts({ by: 'week', from: '2026-11-02', to: '2026-11-15', firstSeen: new Map([['u1', '2026-11-03']]), activeDays: new Map([['u1', ['2026-11-10']]]) })
 * // [{ cohort: '2026-11-02', period: null, users: 1 }, { cohort: '2026-11-02', period: '2026-11-09', users: 1 }]
 */
export function cohortCounts(input: CohortInput): CohortCount[] {
  const { by, from, to } = input;
  const sizes = new Map<string, number>();
  const active = new Map<string, number>(); // JSON [cohort, period] → users
  for (const [userId, day] of input.firstSeen) {
    if (day < from || day > to) continue;
    const cohort = periodStart(day, by);
    sizes.set(cohort, (sizes.get(cohort) ?? 0) + 1);
    const periods = new Set<string>();
    for (const activeDay of input.activeDays.get(userId) ?? []) {
      if (activeDay < from || activeDay > to) continue;
      const period = periodStart(activeDay, by);
      if (period >= cohort) periods.add(period);
    }
    for (const period of periods) {
      const key = JSON.stringify([cohort, period]);
      active.set(key, (active.get(key) ?? 0) + 1);
    }
  }
  return [
    ...[...sizes].map(([cohort, users]) => ({ cohort, period: null, users })),
    ...[...active].map(([key, users]) => {
      const [cohort, period] = JSON.parse(key) as [string, string];
      return { cohort, period, users };
    }),
  ];
}

/**
 * The cohorts of `cohortCounts`' counts, in from … to: by the period of their users' first-seen
 * day, oldest first (periods nobody was first seen in are left out). Each cohort lists its own
 * period (0) and every later one starting by `to`, with its active users (0 where no count says
 * otherwise) and their share of the cohort (a ratio).
 */
export function cohortsOfCounts(by: CohortPeriod, from: string, to: string, counts: readonly CohortCount[]): RetentionCohort[] {
  const starts: string[] = [];
  for (let start = periodStart(from, by); start <= to; start = nextPeriodStart(start, by)) starts.push(start);
  const active = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const count of counts) {
    if (count.period === null) sizes.set(count.cohort, count.users);
    else active.set(JSON.stringify([count.cohort, count.period]), count.users);
  }
  return starts.flatMap((cohort, index) => {
    const size = sizes.get(cohort);
    if (size === undefined || size === 0) return [];
    return [
      {
        start: cohort,
        size,
        periods: starts.slice(index).map((start, period) => {
          const users = active.get(JSON.stringify([cohort, start])) ?? 0;
          return { period, start, active: users, share: users / size };
        }),
      },
    ];
  });
}

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
export function retentionCohorts(input: CohortInput): RetentionCohort[] {
  return cohortsOfCounts(input.by, input.from, input.to, cohortCounts(input));
}
