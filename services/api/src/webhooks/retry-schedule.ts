/**
 * When a failed delivery is tried again (docs/webhooks.md): the Standard Webhooks schedule, the
 * first attempt at once then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure,
 * each wait spread by ±10 % jitter so endpoints that failed together do not retry together.
 */
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000] as const;

/** Attempts in all: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** The longest `Retry-After` believed: a receiver cannot park a delivery for longer than the schedule's longest wait. */
export const MAX_RETRY_AFTER_MS = 10 * 3_600_000;

/**
 * The wait before the next attempt after `attempts` failed ones (1 = the first failed), or
 * undefined when the schedule is spent. A `Retry-After` the receiver gave replaces the scheduled
 * wait (clamped to 0 … MAX_RETRY_AFTER_MS); `scale` shortens the schedule (tests), `random` is the jitter source.
 *
 * @example
 * nextRetryDelayMs(1, { scale: 1, random: () => 0.5 }) // 5000
 * nextRetryDelayMs(2, { scale: 1, retryAfterMs: 2000, random: () => 0.5 }) // 2000
 * nextRetryDelayMs(8, { scale: 1, random: Math.random }) // undefined: failed for good
 */
export function nextRetryDelayMs(attempts: number, options: { scale: number; retryAfterMs?: number | undefined; random: () => number }): number | undefined {
  if (attempts >= MAX_ATTEMPTS) return undefined;
  if (options.retryAfterMs !== undefined) return Math.min(Math.max(options.retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  const base = RETRY_DELAYS_MS[Math.max(attempts, 1) - 1]! * options.scale;
  return Math.round(base * (0.9 + 0.2 * options.random()));
}

/**
 * A `Retry-After` header as milliseconds from `now`: delay-seconds or an HTTP date. Anything else
 * (absent, negative, unparsable) is undefined: the schedule decides.
 *
 * @example
 * retryAfterMs('120', new Date()) // 120000
 * retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', new Date('2026-10-21T07:27:00Z')) // 60000
 */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(at - now.getTime(), 0);
}
