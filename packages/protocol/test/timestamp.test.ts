import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS, normaliseTimestamp } from '../src/index.ts';

const at = (iso: string) => new Date(iso);
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
const offset = fc.integer({ min: -30 * 86_400_000, max: 30 * 86_400_000 });

describe('normaliseTimestamp', () => {
  it('removes the sender clock skew (Segment: receivedAt − (sentAt − timestamp))', () => {
    // The device clock is 1 h fast; the event happened 5 s before it was sent.
    const result = normaliseTimestamp(at('2026-01-01T11:00:05Z'), at('2026-01-01T11:00:00Z'), at('2026-01-01T10:00:05Z'));
    expect(result).toEqual({ timestamp: at('2026-01-01T10:00:00Z'), clamped: false, farFuture: false });
  });

  it('uses the receive time when the event has no timestamp', () => {
    const receivedAt = at('2026-01-01T10:00:00Z');
    expect(normaliseTimestamp(at('2026-01-01T09:00:00Z'), undefined, receivedAt).timestamp).toBe(receivedAt);
  });

  it('keeps the timestamp as sent when the batch has no sentAt', () => {
    expect(normaliseTimestamp(undefined, at('2026-01-01T09:00:00Z'), at('2026-01-01T10:00:00Z')).timestamp).toEqual(at('2026-01-01T09:00:00Z'));
  });

  it('clamps future times to the receive time and flags those more than 23 h ahead', () => {
    const receivedAt = at('2026-01-01T10:00:00Z');
    expect(normaliseTimestamp(undefined, at('2026-01-01T10:00:01Z'), receivedAt)).toEqual({ timestamp: receivedAt, clamped: true, farFuture: false });
    expect(normaliseTimestamp(undefined, at('2026-01-02T09:00:01Z'), receivedAt)).toEqual({ timestamp: receivedAt, clamped: true, farFuture: true });
  });

  it('names the problem when the correction moves the time before the year 1', () => {
    const receivedAt = at('2026-12-07T12:00:00Z');
    const result = normaliseTimestamp(at('3995-12-07T12:27:48.943Z'), at('1970-01-01T00:00:00.051Z'), receivedAt);
    expect(result).toEqual({
      timestamp: receivedAt,
      clamped: false,
      farFuture: false,
      problem: 'corrected for clock skew (receivedAt − (sentAt − timestamp)), must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (UTC)',
    });
    expect(normaliseTimestamp(at('2026-12-07T12:00:00Z'), at('0001-01-01T00:00:00Z'), receivedAt).problem).toBeUndefined();
  });

  it('property: never later than receivedAt, and exact whenever the corrected time is in the past', () => {
    fc.assert(
      fc.property(instant, offset, offset, (received, sendDelay, eventAge) => {
        const receivedAt = new Date(received);
        const sentAt = new Date(received + sendDelay);
        const timestamp = new Date(received + sendDelay - eventAge);
        const result = normaliseTimestamp(sentAt, timestamp, receivedAt);
        expect(result.timestamp.getTime()).toBeLessThanOrEqual(received);
        const expected = received - eventAge;
        if (expected <= received) expect(result.timestamp.getTime()).toBe(expected);
        else {
          expect(result.clamped).toBe(true);
          expect(result.farFuture).toBe(expected - received > LIMITS.futureFlagMs);
        }
      }),
    );
  });

  it('property: a pure function of the skew, not of the absolute clocks', () => {
    fc.assert(
      fc.property(instant, offset, fc.integer({ min: 0, max: 86_400_000 }), (received, skew, age) => {
        const receivedAt = new Date(received);
        const a = normaliseTimestamp(new Date(received + skew), new Date(received + skew - age), receivedAt);
        const b = normaliseTimestamp(new Date(received), new Date(received - age), receivedAt);
        expect(a).toEqual(b);
      }),
    );
  });
});
