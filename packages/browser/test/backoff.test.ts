import { describe, expect, it } from 'vitest';
import { backoff, retryAfterMs } from '../src/backoff.ts';

describe('backoff', () => {
  it('doubles from 1 s and stops growing at the 60 s cap', () => {
    const top = () => 1; // the upper edge of the jitter range
    expect(Array.from({ length: 9 }, (_, attempt) => backoff(attempt, top))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
    expect(backoff(1000, top)).toBe(60000);
  });

  it('uses full jitter: a uniform draw over [0, ceiling)', () => {
    expect(backoff(3, () => 0)).toBe(0);
    expect(backoff(3, () => 0.25)).toBe(2000);
    for (let i = 0; i < 200; i++) {
      const delay = backoff(4, Math.random);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(16000);
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-10-21T07:27:00Z');
    expect(retryAfterMs('30', now)).toBe(30000);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(60000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:26:00 GMT', now)).toBeUndefined(); // in the past
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
