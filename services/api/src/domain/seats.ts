/**
 * An account's seats as a group call's traits give them: a number, or numeric text taken as a
 * number (CRM syncs; the protocol turns whole-number text into a number before storing); null,
 * empty or anything else is unknown (null).
 *
 * Seats as of a day are this value of the latest group call by the end of that day that set the
 * `seats` trait (by timestamp, then messageId), null when there is none: figure-sql/figures.ts
 * `seatsAsOf` reads it from account_seats, which derived/ fills with this function.
 *
 * @example
 * seatsOf({ seats: 12 })   // 12
 * seatsOf({ seats: '12' }) // 12
 * seatsOf({ seats: null }) // null
 * seatsOf({ plan: 'pro' }) // null
 */
export function seatsOf(traits: Record<string, unknown> | null): number | null {
  const raw = traits?.['seats'];
  if (raw === undefined || raw === null || raw === '') return null;
  const seats = Number(raw);
  return Number.isFinite(seats) ? seats : null;
}
