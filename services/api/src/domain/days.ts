/**
 * UTC calendar days as `YYYY-MM-DD` strings, years 0000–9999 only: four-digit years are what
 * makes the text order the calendar order. A day outside that span (`+010000-01-01` after
 * 9999-12-31) would sort before its predecessor, so it is refused with a RangeError rather than
 * formatted. Query routes accept far narrower days (docs/api.md); these checks guard the
 * arithmetic itself.
 */
const DAY_MS = 86_400_000;
const FIRST_DAY_MS = Date.parse('0000-01-01T00:00:00Z');
const LAST_DAY_MS = Date.parse('9999-12-31T00:00:00Z');
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The most days one list may hold. The longest a figure needs is a 400-day range plus the 29
 * days before it; this bound only stops a bug from building a list without end.
 */
export const MAX_DAYS_IN_LIST = 10_000;

/** Milliseconds of a day's UTC midnight; RangeError for anything but a real `YYYY-MM-DD` day. */
function dayMs(day: string): number {
  const ms = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  // Date.parse rolls 2026-02-30 over to March: the day must come back as written.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) throw new RangeError(`not a UTC day YYYY-MM-DD: ${JSON.stringify(day)}`);
  return ms;
}

function dayOf(ms: number): string {
  if (!(ms >= FIRST_DAY_MS && ms <= LAST_DAY_MS)) throw new RangeError('day outside 0000-01-01 … 9999-12-31');
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`not a whole number of days: ${days}`);
  return dayOf(dayMs(day) + days * DAY_MS);
}

export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The later of two days. */
export function laterOf(a: string, b: string): string {
  return a > b ? a : b;
}

/** The earlier of two days. */
export function earlierOf(a: string, b: string): string {
  return a < b ? a : b;
}

/** The window of `length` days as of `day`: day−(length−1) … day, both included. */
export function windowOf(day: string, length: number): { from: string; to: string } {
  return { from: addDays(day, -(length - 1)), to: day };
}

/** How many days from … to holds, both included (0 when from is after to), by arithmetic. */
export function dayCount(from: string, to: string): number {
  return Math.max(0, Math.round((dayMs(to) - dayMs(from)) / DAY_MS) + 1);
}

/** Every day of from … to, both included; RangeError past {@link MAX_DAYS_IN_LIST} days. */
export function daysBetween(from: string, to: string): string[] {
  const count = dayCount(from, to);
  if (count > MAX_DAYS_IN_LIST) throw new RangeError(`${from} … ${to} holds ${count} days, more than ${MAX_DAYS_IN_LIST}`);
  const start = dayMs(from);
  return Array.from({ length: count }, (_, index) => dayOf(start + index * DAY_MS));
}

/** UTC day of a trait holding a day (onboardedAt: an ISO date or date-time); null when absent or not a date. */
export function traitDay(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)?$/.test(value)) return value.slice(0, 10);
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  // Years past 9999 or before 0 format as +010000-… / -000001-…, which do not sort as days.
  const day = new Date(time).toISOString().slice(0, 10);
  return /^\d{4}-/.test(day) ? day : null;
}
