import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, nextRetryDelayMs, RETRY_DELAYS_MS, retryAfterMs } from '../../src/webhooks/retry-schedule.ts';

describe('the retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure, then gives up after the eighth attempt', () => {
    const middle = () => 0.5;
    expect(Array.from({ length: MAX_ATTEMPTS }, (_, i) => nextRetryDelayMs(i + 1, { scale: 1, random: middle }))).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, undefined,
    ]);
    expect(nextRetryDelayMs(2, { scale: 0.001, random: middle })).toBe(300);
  });

  it('spreads each wait by at most 10 % and lets Retry-After replace it, clamped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempts, random) => {
        const delay = nextRetryDelayMs(attempts, { scale: 1, random: () => random })!;
        const base = RETRY_DELAYS_MS[attempts - 1]!;
        expect(delay).toBeGreaterThanOrEqual(base * 0.9 - 1);
        expect(delay).toBeLessThanOrEqual(base * 1.1 + 1);
      }),
    );
    expect(nextRetryDelayMs(1, { scale: 1, retryAfterMs: 120_000, random: Math.random })).toBe(120_000);
    expect(nextRetryDelayMs(1, { scale: 1, retryAfterMs: 10 ** 12, random: Math.random })).toBe(MAX_RETRY_AFTER_MS);
    expect(nextRetryDelayMs(MAX_ATTEMPTS, { scale: 1, retryAfterMs: 1_000, random: Math.random })).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-10-21T07:27:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('1.5', now)).toBeUndefined();
  });
});
