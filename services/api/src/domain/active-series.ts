import { addDays, daysBetween } from './days.ts';

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

/**
 * The same series from the active users of each day (ids as small integers), `days[i]` being
 * the users active on `first + i`; `first` must lie at least 29 days before `from`.
 *
 * @example
 * activeSeriesOfDays([Int32Array.of(0, 1), Int32Array.of(1)], '2026-01-01', '2026-01-30', '2026-01-31')
 */
export function activeSeriesOfDays(days: Int32Array[], first: string, from: string, to: string) {
  const length = days.length + 31;
  const changes = { dau: new Int32Array(length), wau: new Int32Array(length), mau: new Int32Array(length) };
  let users = 0;
  for (const day of days) for (const user of day) users = Math.max(users, user + 1);
  const lastActive = new Float64Array(users).fill(-Infinity);
  days.forEach((active, index) => {
    for (const user of active) {
      const previous = lastActive[user]!;
      lastActive[user] = index;
      changes.dau[index]!++;
      changes.dau[index + 1]!--;
      changes.wau[Math.max(index, previous + 7)]!++;
      changes.wau[index + 7]!--;
      changes.mau[Math.max(index, previous + 30)]!++;
      changes.mau[index + 30]!--;
    }
  });
  const deltas = Array.from({ length }, (_, index) => ({ day: addDays(first, index), dau: changes.dau[index]!, wau: changes.wau[index]!, mau: changes.mau[index]! }));
  return activeSeries(deltas, from, to);
}
