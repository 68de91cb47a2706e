import { HttpError } from '../http/errors.ts';

export type RateLimit = { perSecond: number; burst: number };

export type RateLimiter = {
  /** Takes one token for `key`; when none is left, says how many seconds until one is. */
  take(key: string, now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Whether `key` has no token left, without taking one: seconds until it has, or 0. */
  waitSeconds(key: string, now: number): number;
};

/**
 * A token bucket per key: `perSecond` tokens a second, up to `burst` saved; `perSecond` 0 turns
 * it off. In memory, per instance: behind a load balancer each instance enforces its share. At
 * most `maxKeys` buckets are kept (the oldest goes first), so hostile keys cannot grow memory.
 *
 * @example
 * const limiter = createRateLimiter({ perSecond: 1000, burst: 2000 });
 * limiter.take(projectId, Date.now()); // → { allowed: true }
 */
export function createRateLimiter({ perSecond, burst }: RateLimit, maxKeys = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (key: string, now: number) => {
    const bucket = buckets.get(key);
    if (!bucket) return undefined;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    return bucket;
  };
  const secondsUntilToken = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / perSecond));
  return {
    take(key, now) {
      if (perSecond <= 0) return { allowed: true };
      let bucket = refill(key, now);
      if (!bucket) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: burst, at: now };
        buckets.set(key, bucket);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: secondsUntilToken(bucket.tokens) };
    },
    waitSeconds(key, now) {
      if (perSecond <= 0) return 0;
      const bucket = refill(key, now);
      return bucket && bucket.tokens < 1 ? secondsUntilToken(bucket.tokens) : 0;
    },
  };
}

/** `1000/s, burst 2000`: how a limit is named in a 429 and in the docs. */
export function describeLimit({ perSecond, burst }: RateLimit): string {
  const rate = perSecond >= 1 ? `${perSecond}/s` : `1 every ${Math.round(1 / perSecond)} s`;
  return `${rate}, burst ${burst}`;
}

/** The 429 every limiter answers: Retry-After, and a message naming the limit that was hit. */
export function rateLimited(what: string, limit: RateLimit, retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'rate_limited', `too many ${what} (limit ${describeLimit(limit)}); retry after ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
