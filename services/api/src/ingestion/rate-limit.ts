export type RateLimiter = {
  /** Takes one token for `key`; when none is left, says how many seconds until one is. */
  take(key: string, now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
};

/**
 * A token bucket per key: `perSecond` tokens a second, up to `burst` saved. In memory, per
 * instance: behind a load balancer each instance enforces its share.
 *
 * @example
 * const limiter = createRateLimiter(1000, 2000);
 * limiter.take(writeKey, Date.now()); // → { allowed: true }
 */
export function createRateLimiter(perSecond: number, burst: number, maxKeys = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now) {
      if (perSecond <= 0) return { allowed: true };
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      if (!buckets.has(key)) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        buckets.set(key, bucket);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
    },
  };
}
