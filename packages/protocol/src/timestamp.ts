import { LIMITS } from './limits.ts';
import { timeProblem } from './storable.ts';

export type NormalisedTimestamp = {
  timestamp: Date;
  /** The corrected time was later than the receive time and was set to it. */
  clamped: boolean;
  /** It was later by more than {@link LIMITS.futureFlagMs}: a broken client clock, worth a warning. */
  farFuture: boolean;
  /**
   * Why the corrected time cannot be stored, when it cannot: a `sentAt` thousands of years after
   * the `timestamp` moves it before the year 1. The event is refused, naming `timestamp`.
   */
  problem?: string;
};

/**
 * Corrects a client timestamp for the sender's clock skew, as Segment does:
 * `ts = receivedAt − (sentAt − timestamp)`, never later than `receivedAt`.
 *
 * @example
 * // The device clock runs 1 h fast: sentAt and timestamp are both 1 h ahead.
 * normaliseTimestamp(new Date('2026-01-01T11:00:05Z'), new Date('2026-01-01T11:00:00Z'), new Date('2026-01-01T10:00:05Z'))
 * // → { timestamp: 2026-01-01T10:00:00Z, clamped: false, farFuture: false }
 */
export function normaliseTimestamp(
  sentAt: Date | undefined,
  timestamp: Date | undefined,
  receivedAt: Date,
): NormalisedTimestamp {
  if (!timestamp) return { timestamp: receivedAt, clamped: false, farFuture: false };
  const corrected = sentAt ? receivedAt.getTime() - (sentAt.getTime() - timestamp.getTime()) : timestamp.getTime();
  const ahead = corrected - receivedAt.getTime();
  if (ahead > 0) return { timestamp: receivedAt, clamped: true, farFuture: ahead > LIMITS.futureFlagMs };
  const problem = timeProblem(corrected);
  if (problem) return { timestamp: receivedAt, clamped: false, farFuture: false, problem: `corrected for clock skew (receivedAt − (sentAt − timestamp)), ${problem}` };
  return { timestamp: new Date(corrected), clamped: false, farFuture: false };
}
