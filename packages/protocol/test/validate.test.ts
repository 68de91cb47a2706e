import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchEnvelopeSchema, LIMITS, validateEvent } from '../src/index.ts';

const valid = { type: 'track', event: 'Report Created', userId: 'u1', messageId: 'm1', timestamp: '2026-11-23T10:00:00.000Z' };

function errorsOf(raw: unknown) {
  const result = validateEvent(raw);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.errors;
}

describe('validateEvent', () => {
  it('accepts each event type', () => {
    for (const event of [
      valid,
      { type: 'identify', userId: 'u1', traits: { email: 'a@b.c', isChampion: true } },
      { type: 'group', userId: 'u1', groupId: 'acme', traits: { seats: 12, onboardedAt: '2026-10-01' } },
      { type: 'page', anonymousId: 'a1', name: 'Home', properties: { path: '/' } },
    ]) {
      expect(validateEvent(event).ok, JSON.stringify(event)).toBe(true);
    }
  });

  it('keeps fields it does not use (Segment compatibility)', () => {
    const result = validateEvent({ ...valid, integrations: { All: true }, _metadata: { bundled: [] }, channel: 'server' });
    expect(result.ok && result.event).toMatchObject({ integrations: { All: true }, channel: 'server' });
  });

  it('takes numeric ids as strings and null as absent', () => {
    const result = validateEvent({ type: 'track', event: 'x', userId: 42, anonymousId: null });
    expect(result.ok && result.event).toMatchObject({ userId: '42', anonymousId: undefined });
  });

  it('takes seats given as a numeric string', () => {
    const result = validateEvent({ type: 'group', userId: 'u', groupId: 'g', traits: { seats: '25' } });
    expect(result.ok && result.event.type === 'group' && result.event.traits?.seats).toBe(25);
  });

  it.each([
    [{ ...valid, type: 'screen' }, 'type', 'must be one of identify, group, track, page'],
    [{ type: 'track', event: 'x' }, 'userId', 'userId or anonymousId is required'],
    [{ ...valid, event: undefined }, 'event', 'is required'],
    [{ ...valid, event: 7 }, 'event', 'expected string'],
    [{ ...valid, event: '' }, 'event', 'must not be empty'],
    [{ ...valid, userId: 'u'.repeat(201) }, 'userId', 'at most 200'],
    [{ ...valid, event: '$made_up' }, 'event', 'reserved'],
    [{ ...valid, timestamp: 'yesterday' }, 'timestamp', 'ISO 8601'],
    [{ ...valid, timestamp: '2026-11-23T10:00:00' }, 'timestamp', 'time zone'],
    [{ ...valid, properties: [1, 2] }, 'properties', 'object'],
    [{ ...valid, event: '$nps_response', properties: { score: 11 } }, 'properties.score', 'from 0 to 10'],
    [{ ...valid, event: '$nps_response', properties: { score: 7.5 } }, 'properties.score', 'whole number'],
    [{ ...valid, event: '$session_end', properties: { sessionId: 's' } }, 'properties.durationMs', 'required'],
    [{ type: 'group', userId: 'u', traits: {} }, 'groupId', 'required'],
    [{ type: 'group', userId: 'u', groupId: 'g', traits: { seats: -1 } }, 'traits.seats', 'negative'],
    [{ type: 'group', userId: 'u', groupId: 'g', traits: { onboardedAt: 'soon' } }, 'traits.onboardedAt', 'ISO 8601'],
    [{ ...valid, properties: { note: 'a\u0000b' } }, 'properties.note', 'NUL'],
    [{ ...valid, properties: { note: 'a\ud800b' } }, 'properties.note', 'surrogate'],
    [{ ...valid, properties: { ['k\u0000']: 1 } }, 'properties.k\\u0000', 'NUL'],
    ['not an object', '(root)', 'must be an object'],
    [[valid], '(root)', 'must be an object'],
  ])('rejects %j at %s', (raw, path, message) => {
    const errors = errorsOf(raw);
    expect(errors.map((error) => error.path)).toContain(path);
    expect(errors.find((error) => error.path === path)!.message).toContain(message);
  });

  it('rejects events over 32 KB with their size', () => {
    const [error] = errorsOf({ ...valid, properties: { blob: 'x'.repeat(LIMITS.maxEventBytes) } });
    expect(error!.message).toMatch(/^event is \d+ bytes; at most 32768 allowed$/);
  });

  it('rejects hostile nesting without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const [error] = errorsOf({ ...valid, properties: { deep } });
    expect(error!.path).toMatch(/^properties\.deep(\[0\])+$/);
    expect(error!.message).toContain('nested deeper than 32');
  });

  it('property: never throws, and either accepts or names at least one field', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('track', 'page', 'identify', 'group', 'other'), (value, type) => {
        const raw = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, type } : value;
        const result = validateEvent(raw);
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const error of result.errors) expect(error.path.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('batchEnvelopeSchema', () => {
  it('holds at most 500 events', () => {
    expect(batchEnvelopeSchema.safeParse({ batch: new Array(500).fill({}) }).success).toBe(true);
    const result = batchEnvelopeSchema.safeParse({ batch: new Array(501).fill({}) });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toBe('must hold at most 500 events');
  });

  it('needs a batch array and an ISO sentAt', () => {
    expect(batchEnvelopeSchema.safeParse({}).success).toBe(false);
    expect(batchEnvelopeSchema.safeParse({ batch: [], sentAt: 'now' }).success).toBe(false);
    expect(batchEnvelopeSchema.safeParse({ batch: [], sentAt: '2026-11-23T10:00:00Z' }).success).toBe(true);
  });
});
