/**
 * Day arithmetic over the whole span it accepts (0000-01-01 … 9999-12-31) and past it: counts
 * agree with lists, every list ends (the day after 9999-12-31 would format as `+010000-01-01`,
 * which sorts before it), and nothing outside the span is ever formatted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, dayCount, daysBetween, MAX_DAYS_IN_LIST, traitDay, windowOf } from '../../src/domain/days.ts';

const FIRST = Date.parse('0000-01-01T00:00:00Z');
const LAST = Date.parse('9999-12-31T00:00:00Z');
const DAY_MS = 86_400_000;
const asDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Any day of the span, with its ends and the year edges weighted in. */
const anyDay = fc.oneof(
  fc.integer({ min: 0, max: (LAST - FIRST) / DAY_MS }).map((index) => asDay(FIRST + index * DAY_MS)),
  fc.constantFrom('0000-01-01', '0000-12-31', '0001-01-01', '1999-12-31', '2000-01-01', '2024-02-29', '9999-01-01', '9999-12-30', '9999-12-31'),
);
const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

describe('day arithmetic', () => {
  it('addDays stays a four-digit day inside the span, or refuses: never a +010000 or -000001 day', () => {
    fc.assert(
      fc.property(anyDay, fc.integer({ min: -4_000_000, max: 4_000_000 }), (day, offset) => {
        const target = Date.parse(`${day}T00:00:00Z`) + offset * DAY_MS;
        if (target < FIRST || target > LAST) {
          expect(() => addDays(day, offset)).toThrow(RangeError);
          return;
        }
        const moved = addDays(day, offset);
        expect(moved).toMatch(DAY_SHAPE);
        expect(moved).toBe(asDay(target));
        // Text order is calendar order, and the count gets back the offset.
        if (offset >= 0) expect(moved >= day && dayCount(day, moved) === offset + 1).toBe(true);
        else expect(moved < day && dayCount(moved, day) === -offset + 1).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('the days around the ends of the span', () => {
    expect(addDays('9999-12-30', 1)).toBe('9999-12-31');
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    expect(() => addDays('0000-01-01', -1)).toThrow(RangeError);
    expect(() => windowOf('0000-01-01', 30)).toThrow(RangeError);
    expect(daysBetween('9999-12-29', '9999-12-31')).toEqual(['9999-12-29', '9999-12-30', '9999-12-31']);
    expect(daysBetween('0000-01-01', '0000-01-02')).toEqual(['0000-01-01', '0000-01-02']);
    expect(dayCount('0000-01-01', '9999-12-31')).toBe((LAST - FIRST) / DAY_MS + 1);
  });

  it('refuses what is not a day instead of rolling it over or reading it loosely', () => {
    for (const text of ['+010000-01-01', '-000001-12-31', '-000001-12', '2026-02-30', '2026-13-01', '2026-1-1', '', '2026-01-01T00:00:00Z', '2026-01-01 ', 'NaN']) {
      expect(() => addDays(text, 1), text).toThrow(RangeError);
      expect(() => dayCount(text, '2026-01-01'), text).toThrow(RangeError);
      expect(() => daysBetween('2026-01-01', text), text).toThrow(RangeError);
    }
    for (const offset of [Number.NaN, Infinity, 0.5, 2 ** 60]) expect(() => addDays('2026-01-01', offset)).toThrow(RangeError);
  });

  it('daysBetween is every day once, in order, as many as dayCount says, or refuses a list too long to build', () => {
    fc.assert(
      fc.property(anyDay, anyDay, (a, b) => {
        const count = dayCount(a, b);
        expect(count).toBe(a > b ? 0 : Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS) + 1);
        if (count > MAX_DAYS_IN_LIST) {
          expect(() => daysBetween(a, b)).toThrow(RangeError);
          return;
        }
        const days = daysBetween(a, b);
        expect(days.length).toBe(count);
        if (count > 0) expect([days[0], days.at(-1)]).toEqual([a, b]);
        for (let index = 1; index < days.length; index++) expect(days[index]! > days[index - 1]! && days[index] === addDays(days[index - 1]!, 1)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('short ranges near the ends of the span list every day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 800 }), fc.boolean(), (startBack, length, atEnd) => {
        const from = atEnd ? asDay(LAST - startBack * DAY_MS) : asDay(FIRST + startBack * DAY_MS);
        const toMs = Math.min(LAST, Date.parse(from) + length * DAY_MS);
        const days = daysBetween(from, asDay(toMs));
        expect(days.length).toBe((toMs - Date.parse(from)) / DAY_MS + 1);
        expect(days.every((day) => DAY_SHAPE.test(day))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a trait date outside the four-digit years is no day (it would not sort as one)', () => {
    expect(traitDay('+010000-01-01T00:00:00Z')).toBeNull();
    expect(traitDay('-000001-06-01T00:00:00Z')).toBeNull();
    expect(traitDay('Fri, 31 Dec 9999 23:00:00 GMT')).toBe('9999-12-31');
    expect(traitDay('2026-03-01T10:00:00+02:00')).toBe('2026-03-01');
  });
});
