import { daysBetween } from './days.ts';

/**
 * Per-day changes of the DAU, WAU and MAU counts. A user active on day a (previous active day p)
 * covers a … a+N−1 of an N-day window; only max(a, p+N) … a+N−1 is new, so each active user-day
 * adds one interval and the counts need no distinct: +1 where an interval starts, −1 after it.
 */
export type ActiveDelta = { day: string; dau: number; wau: number; mau: number };

/**
 * DAU / WAU / MAU / stickiness for each day of from … to, from deltas that start at least 29
 * days before `from`.
 *
 * @example
 * activeSeries(deltas, '2026-01-01', '2026-01-31')
 */
export function activeSeries(deltas: ActiveDelta[], from: string, to: string) {
  const sorted = [...deltas].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  let index = 0;
  let dau = 0;
  let wau = 0;
  let mau = 0;
  return daysBetween(from, to).map((date) => {
    while (index < sorted.length && sorted[index]!.day <= date) {
      dau += sorted[index]!.dau;
      wau += sorted[index]!.wau;
      mau += sorted[index]!.mau;
      index++;
    }
    return { date, dau, wau, mau, stickiness: mau === 0 ? 0 : dau / mau };
  });
}
