import { RETRY_BASE_MS, RETRY_CAP_MS } from './limits.js';

/**
 * Delay before retry number `attempt` (0-based): exponential backoff with full jitter and a cap,
 * a uniformly random delay in `[0, min(cap, base × 2^attempt))`.
 *
 * @example
 * backoff(0, Math.random) // somewhere in [0, 1000)
 * backoff(3, () => 0.5)   // 4000
 * backoff(30, () => 0.99) // 59 400 (capped at 60 s)
 */
export const backoff = (attempt: number, random: () => number): number =>
  random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt);

/**
 * Milliseconds to wait according to a `Retry-After` header (delta seconds or an HTTP date),
 * or `undefined` when the header is absent or unreadable.
 *
 * @example
 * retryAfterMs('30', Date.now()) // 30000
 * retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('Wed, 21 Oct 2026 07:27:00 GMT')) // 60000
 */
export const retryAfterMs = (value: string | null | undefined, now: number): number | undefined => {
  const seconds = +value!; // 0 for an absent or empty header (then ignored), NaN for a date
  const ms = seconds >= 0 ? seconds * 1000 : Date.parse(value!) - now;
  return value && ms >= 0 ? ms : undefined;
};
