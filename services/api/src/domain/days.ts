/** UTC calendar days as `YYYY-MM-DD` strings. */
const DAY_MS = 86_400_000;

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The window of `length` days as of `day`: day−(length−1) … day, both included. */
export function windowOf(day: string, length: number): { from: string; to: string } {
  return { from: addDays(day, -(length - 1)), to: day };
}

export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}
