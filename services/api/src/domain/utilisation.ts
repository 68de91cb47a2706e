/**
 * Licence utilisation of an account: users active in the account's events over the 30 days to a
 * day ÷ its seats as of that day (seats.ts); null when the seats are unknown or 0 (docs/api.md).
 *
 * @example
 * utilisationOf(3, 4)    // 0.75
 * utilisationOf(3, 0)    // null
 * utilisationOf(3, null) // null
 */
export function utilisationOf(activeUsers: number, seats: number | null): number | null {
  return seats === null || seats === 0 ? null : activeUsers / seats;
}

/**
 * The relative change of utilisation against 30 days before: now ÷ before − 1; null when either
 * is null or the older one is 0.
 *
 * @example
 * utilisationChange(0.55, 0.5) // 0.1 (a hair above on floats: thresholds compare with a tolerance)
 * utilisationChange(0.5, 0)    // null
 */
export function utilisationChange(now: number | null, before: number | null): number | null {
  return now !== null && before ? now / before - 1 : null;
}
