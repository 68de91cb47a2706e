import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountParamsSchema, asOfQuerySchema, dateRangeQuerySchema, latestQueryDay, queryDayProblem, QUERY_DAY_RANGE, userParamsSchema, widgetUserQuerySchema } from '../src/index.ts';

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('query days', () => {
  it('accept exactly 2000-01-01 … today + 2 days, today taken when asked (not when loaded)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: Date.parse('0000-01-01'), max: Date.parse('9999-12-31') }),
        (nowMs, dayMs) => {
          const now = new Date(nowMs);
          const day = dayOf(dayMs);
          const latest = dayOf(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + QUERY_DAY_RANGE.daysAfterToday * DAY_MS);
          expect(latestQueryDay(now)).toBe(latest);
          const inside = dayMs >= Date.parse('2000-01-01') && dayMs <= Date.parse(latest);
          expect(queryDayProblem(day, now)).toBe(inside ? undefined : `must be a day from 2000-01-01 to ${latest} (today + 2 days, UTC)`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('are refused by every date parameter with the range in the message', () => {
    const latest = latestQueryDay();
    const message = `must be a day from 2000-01-01 to ${latest} (today + 2 days, UTC)`;
    for (const asOf of ['9999-12-31', '0000-01-01', '1999-12-31', dayOf(Date.parse(latest) + DAY_MS)]) {
      expect(asOfQuerySchema.safeParse({ asOf }).error?.issues).toMatchObject([{ path: ['asOf'], message }]);
    }
    expect(dateRangeQuerySchema.safeParse({ from: '0001-01-01', to: '2026-01-01' }).error?.issues).toMatchObject([{ path: ['from'], message }]);
    expect(dateRangeQuerySchema.safeParse({ to: '9999-12-30' }).error?.issues).toMatchObject([{ path: ['to'], message }]);
    expect(asOfQuerySchema.safeParse({ asOf: '2026-02-30' }).error?.issues).toMatchObject([{ path: ['asOf'], message: 'must be a date YYYY-MM-DD' }]);
    expect(asOfQuerySchema.parse({ asOf: latest })).toEqual({ asOf: latest });
    expect(asOfQuerySchema.parse({ asOf: '2000-01-01' })).toEqual({ asOf: '2000-01-01' });
  });
});

describe('ids in paths and query strings', () => {
  it('refuse what Postgres text cannot hold, naming the field', () => {
    expect(userParamsSchema.safeParse({ userId: 'a\u0000b' }).error?.issues).toMatchObject([{ path: ['userId'], message: 'contains a NUL character (\\u0000), which cannot be stored' }]);
    expect(accountParamsSchema.safeParse({ accountId: 'x\ud800' }).error?.issues).toMatchObject([{ path: ['accountId'], message: 'contains a lone UTF-16 surrogate (invalid Unicode)' }]);
    expect(widgetUserQuerySchema.safeParse({ userId: 'u', userHash: 'h', accountId: '\u0000' }).error?.issues).toMatchObject([{ path: ['accountId'] }]);
    expect(userParamsSchema.safeParse({ userId: '' }).error?.issues).toMatchObject([{ message: 'must not be empty' }]);
    expect(userParamsSchema.safeParse({ userId: 'x'.repeat(201) }).error?.issues).toMatchObject([{ message: 'must be at most 200 characters' }]);
  });

  it('accept any other text of 1–200 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((text) => !text.includes('\u0000') && text.length <= 200), (userId) => {
        expect(userParamsSchema.parse({ userId })).toEqual({ userId });
      }),
    );
  });
});
