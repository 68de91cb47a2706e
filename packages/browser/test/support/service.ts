/**
 * A fake Uptake service at the network edge (msw), plus a sendBeacon for jsdom that forwards to
 * a keepalive fetch (marked so tests can tell beacons apart) so msw sees it.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';

export const HOST = 'https://uptake.test';

type Sent = Record<string, any>;

export type Received = {
  at: number;
  beacon: boolean;
  contentType: string | null;
  bytes: number;
  body: { writeKey: string; sentAt: string; batch: Sent[] };
};

type Answer = (request: Received) => Response | undefined;

export const received: Received[] = [];
let answer: Answer = () => undefined;

/** Sets how the service answers; `undefined` means 200 with everything accepted. */
export const answerWith = (fn: Answer): void => {
  answer = fn;
};

export const events = (): Sent[] => received.flatMap((request) => request.body.batch);
export const eventNames = (): string[] => events().map((event) => event.event ?? event.type);

export const server = setupServer(
  http.post(`${HOST}/v1/batch`, async ({ request }) => {
    const text = await request.text();
    const entry: Received = {
      at: Date.now(),
      beacon: request.headers.get('x-test-beacon') == '1',
      contentType: request.headers.get('content-type'),
      bytes: new TextEncoder().encode(text).length,
      body: JSON.parse(text),
    };
    received.push(entry);
    return (
      answer(entry) ??
      HttpResponse.json({ accepted: entry.body.batch.length, duplicates: 0, rejected: [] }, { status: 200 })
    );
  }),
);

export const beacon = vi.fn((url: string, body: string): boolean => {
  void fetch(url, { method: 'POST', body, keepalive: true, headers: { 'x-test-beacon': '1' } }).catch(() => {});
  return true;
});

/** Registers msw, the beacon, fake timers and a clean localStorage for a test file. */
export const useFakeService = (): void => {
  beforeAll(() => {
    server.listen({ onUnhandledFrame: 'error' } as never);
    Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true });
  });
  beforeEach(() => {
    // setImmediate/nextTick stay real: fetch and msw run on them.
    vi.useFakeTimers({ now: new Date('2026-11-23T10:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    localStorage.clear();
    received.length = 0;
    answer = () => undefined;
    beacon.mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  afterAll(() => server.close());
};

/** Lets real I/O (fetch and msw run on the real event loop) catch up. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 12; i++) {
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0); // msw schedules zero-delay timers
    await new Promise((resolve) => setImmediate(resolve));
  }
};

/**
 * Moves the fake clock by `ms` in steps, letting requests and answers complete after each step,
 * so that a retry scheduled from an answer starts from the time the answer came.
 */
export const advance = async (ms = 0, step = Math.max(50, Math.ceil(ms / 400))): Promise<void> => {
  await settle();
  for (let done = 0; done < ms; done += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - done));
    await settle();
  }
};

export const setVisibility = (state: 'visible' | 'hidden'): void => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
};

export const storedKeys = (): string[] => Object.keys(localStorage).filter((key) => key.startsWith('uptake.'));
