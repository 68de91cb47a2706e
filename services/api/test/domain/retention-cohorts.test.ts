/** domain/retention-cohorts.ts: periods and cohorts (docs/api.md, "Retention cohorts"). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/days.ts';
import { nextPeriodStart, periodStart, retentionCohorts } from '../../src/domain/retention-cohorts.ts';

describe('retention cohorts', () => {
  it.each([
    ['2026-11-30', 'week', '2026-11-30'], // a Monday
    ['2026-12-06', 'week', '2026-11-30'], // a Sunday: the week that began on Monday
    ['2026-01-01', 'week', '2025-12-29'], // across a year (ISO week 1 of 2026)
    ['2024-02-29', 'month', '2024-02-01'],
    ['2026-12-31', 'month', '2026-12-01'],
  ] as const)('period of %s by %s starts %s', (day, by, start) => {
    expect(periodStart(day, by)).toBe(start);
  });

  it.each([
    ['2026-11-30', 'week', '2026-12-07'],
    ['2026-12-01', 'month', '2027-01-01'],
    ['2026-01-01', 'month', '2026-02-01'],
  ] as const)('the period after %s by %s starts %s', (start, by, next) => {
    expect(nextPeriodStart(start, by)).toBe(next);
  });

  it('every day of a week maps to the same Monday, 7 days after the previous one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (offset) => {
        const day = addDays('2000-01-01', offset);
        const start = periodStart(day, 'week');
        expect(new Date(`${start}T00:00:00Z`).getUTCDay()).toBe(1);
        expect(start <= day && day < addDays(start, 7)).toBe(true);
        expect(periodStart(day, 'month') <= day && nextPeriodStart(periodStart(day, 'month'), 'month') > day).toBe(true);
      }),
    );
  });

  it('groups users by their first week, counts each later week once per user, leaves out users first seen outside the range', () => {
    const firstSeen = new Map([
      ['u1', '2026-11-03'],
      ['u2', '2026-11-08'],
      ['u3', '2026-11-11'],
      ['early', '2026-10-01'],
      ['late', '2026-11-20'],
    ]);
    const activeDays = new Map([
      ['u1', ['2026-11-03', '2026-11-10', '2026-11-12', '2026-11-16']],
      ['u2', ['2026-11-16']],
      ['u3', ['2026-11-11']],
      ['early', ['2026-11-10']],
    ]);
    expect(retentionCohorts({ by: 'week', from: '2026-11-03', to: '2026-11-16', firstSeen, activeDays })).toEqual([
      {
        start: '2026-11-02',
        size: 2,
        periods: [
          { period: 0, start: '2026-11-02', active: 1, share: 0.5 },
          { period: 1, start: '2026-11-09', active: 1, share: 0.5 },
          { period: 2, start: '2026-11-16', active: 2, share: 1 },
        ],
      },
      {
        start: '2026-11-09',
        size: 1,
        periods: [
          { period: 0, start: '2026-11-09', active: 1, share: 1 },
          { period: 1, start: '2026-11-16', active: 0, share: 0 },
        ],
      },
    ]);
  });

  it('by month; activity outside from … to does not count', () => {
    const cohorts = retentionCohorts({
      by: 'month',
      from: '2026-01-15',
      to: '2026-03-10',
      firstSeen: new Map([['u1', '2026-01-20']]),
      activeDays: new Map([['u1', ['2026-01-10', '2026-03-11', '2026-03-01']]]),
    });
    expect(cohorts).toEqual([
      {
        start: '2026-01-01',
        size: 1,
        periods: [
          { period: 0, start: '2026-01-01', active: 0, share: 0 },
          { period: 1, start: '2026-02-01', active: 0, share: 0 },
          { period: 2, start: '2026-03-01', active: 1, share: 1 },
        ],
      },
    ]);
  });
});
