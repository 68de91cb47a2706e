import { asOfQuerySchema, dateRangeQuerySchema } from '@uptake/protocol';
import { addDays, dayCount, today } from '../domain/days.ts';
import { HttpError } from '../http/errors.ts';

const MAX_RANGE_DAYS = 400;

/** The query of a figure over days: `from`, `to`, `asOf` and an optional `accountId`. */
export const dateRangeAsOfQuerySchema = dateRangeQuerySchema.extend(asOfQuerySchema.shape);

/** The days `from` … `to` a request asks for, the `defaultDays` to today without them; at most MAX_RANGE_DAYS. */
export function dateRange(query: { from?: string | undefined; to?: string | undefined }, defaultDays: number): { from: string; to: string } {
  const to = query.to ?? today();
  const from = query.from ?? addDays(to, -(defaultDays - 1));
  if (from > to) throw new HttpError(400, 'invalid_request', 'from: must not be after to', { path: 'from' });
  // Counted, not listed: nothing is built for a range that is refused.
  if (dayCount(from, to) > MAX_RANGE_DAYS) throw new HttpError(400, 'invalid_request', `from: at most ${MAX_RANGE_DAYS} days from … to`, { path: 'from' });
  return { from, to };
}
