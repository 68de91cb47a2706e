import { asOfQuerySchema, dateRangeQuerySchema } from '@uptake/protocol';
import { addDays, dayCount, today } from '../domain/days.ts';
import { HttpError } from '../http/errors.ts';

const MAX_RANGE_DAYS = 400;

/** The query of a figure over days: `from`, `to`, `asOf` and an optional `accountId`. */
export const dateRangeAsOfQuerySchema = dateRangeQuerySchema.extend(asOfQuerySchema.shape);

/**
 * The days `from` … `to` a request asks for, the `defaultDays` to today without them; at most
 * MAX_RANGE_DAYS. `names`: what the request calls the two parameters (a 400 names them).
 */
export function dateRange(
  query: { from?: string | undefined; to?: string | undefined },
  defaultDays: number,
  names: { from: string; to: string } = { from: 'from', to: 'to' },
): { from: string; to: string } {
  const to = query.to ?? today();
  const from = query.from ?? addDays(to, -(defaultDays - 1));
  if (from > to) throw new HttpError(400, 'invalid_request', `${names.from}: must not be after ${names.to}`, { path: names.from });
  // Counted, not listed: nothing is built for a range that is refused.
  if (dayCount(from, to) > MAX_RANGE_DAYS) throw new HttpError(400, 'invalid_request', `${names.from}: at most ${MAX_RANGE_DAYS} days ${names.from} … ${names.to}`, { path: names.from });
  return { from, to };
}
