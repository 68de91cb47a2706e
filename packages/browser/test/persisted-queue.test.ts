// @vitest-environment node
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_CHARS, MAX_QUEUE_EVENTS } from '../src/limits.ts';
import { memoryStore } from '../src/memory-store.ts';
import { takeOrphanedQueues, trimQueue } from '../src/persisted-queue.ts';

describe('trimQueue', () => {
  it('drops only the oldest events, just enough to fit the bounds, and counts them', () => {
    const event = fc.string({ minLength: 1, maxLength: 3000 });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 1500 }), (events) => {
        const queue = [...events];
        const lost = trimQueue(queue);
        expect(queue).toEqual(events.slice(lost));
        expect(queue.length).toBeLessThanOrEqual(MAX_QUEUE_EVENTS);
        expect(queue.join('\n').length).toBeLessThanOrEqual(MAX_QUEUE_CHARS);
        // One event fewer dropped would not fit.
        if (lost) {
          const kept = events.slice(lost - 1);
          expect(kept.length > MAX_QUEUE_EVENTS || kept.join('\n').length > MAX_QUEUE_CHARS).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('takeOrphanedQueues', () => {
  it('takes the queues whose lease is gone or expired, never a live one or its own', () => {
    const storage = memoryStore();
    const at = 1_000_000;
    storage.set('uptake.q.released', 'r1\nr2');
    storage.set('uptake.q.expired', 'e1');
    storage.set('uptake.l.expired', String(at));
    storage.set('uptake.q.live', 'l1');
    storage.set('uptake.l.live', String(at + 1));
    storage.set('uptake.q.mine', 'm1');
    storage.set('uptake.l.lost', String(at - 1)); // a lease without a queue
    storage.set('uptake.id', '{"a":"x"}');

    const adopted = takeOrphanedQueues(storage, 'mine', at);

    expect(adopted.sort()).toEqual(['e1', 'r1', 'r2']);
    expect(storage.keys().sort()).toEqual(['uptake.id', 'uptake.l.live', 'uptake.q.live', 'uptake.q.mine']);
  });
});
