import { HttpResponse } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchTransport } from '../src/browser.ts';
import { createCore } from '../src/core.ts';
import { memoryStore } from '../src/memory-store.ts';
import type { Scheduler } from '../src/types.ts';
import { answerWith, eventNames, HOST, received, server } from './support/service.ts';

/** A clock and timers the test moves by hand: nothing global is patched (real fetch, real event loop). */
const manualTime = () => {
  let time = Date.parse('2026-11-23T10:00:00Z');
  let nextId = 1;
  const timers = new Map<unknown, { at: number; run: () => void; every?: number }>();
  const scheduler: Scheduler = {
    setTimeout: (run, ms) => (timers.set(nextId, { at: time + ms, run }), nextId++),
    clearTimeout: (id) => void timers.delete(id),
    setInterval: (run, ms) => (timers.set(nextId, { at: time + ms, run, every: ms }), nextId++),
    clearInterval: (id) => void timers.delete(id),
  };
  return {
    now: () => time,
    scheduler,
    /** Delays (from now) of the timers waiting, soonest first. */
    waiting: () => [...timers.values()].map((timer) => timer.at - time).sort((a, b) => a - b),
    /** Moves the clock by `ms`, running each timer that falls due on the way. */
    advance: (ms: number) => {
      const end = time + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [id, timer] = due;
        time = timer.at;
        if (timer.every) timer.at += timer.every;
        else timers.delete(id);
        timer.run();
      }
      time = end;
    },
  };
};

beforeAll(() => server.listen({ onUnhandledFrame: 'error' } as never));
beforeEach(() => {
  received.length = 0;
  answerWith(() => undefined);
});
afterAll(() => server.close());

describe('injected scheduler', () => {
  it('retries and ticks on the timers it is given, and close() cancels them', async () => {
    let calls = 0;
    answerWith(() => (++calls == 1 ? new HttpResponse(null, { status: 503 }) : undefined));
    const time = manualTime();
    const core = createCore(
      { writeKey: 'wk_test', host: HOST, flushAt: 2, flushIntervalMs: 60_000 },
      { storage: memoryStore(), transport: fetchTransport(), now: time.now, random: () => 0.5 },
      time.scheduler,
    );
    core.track('A');
    await core.flush();
    expect(received).toHaveLength(1);
    // The 503 scheduled a retry after 0.5 × 1 s (backoff with the injected random), beside the 60 s tick.
    expect(time.waiting()).toEqual([500, 60_000]);

    time.advance(499);
    await core.flush(); // still waiting: the service is not asked again
    expect(received).toHaveLength(1);
    time.advance(1);
    await core.flush();
    expect(received).toHaveLength(2);
    expect(eventNames()).toEqual(['$session_start', 'A', '$session_start', 'A']);

    core.track('B');
    expect(received).toHaveLength(2); // one event waits for the tick (flushAt 2)
    time.advance(60_000); // the tick sends what is waiting
    await core.flush();
    expect(eventNames().at(-1)).toBe('B');
    expect(received.at(-1)!.body.sentAt).toBe('2026-11-23T10:01:00.000Z');

    core.close();
    expect(time.waiting()).toEqual([]);
  });
});
