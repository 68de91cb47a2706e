import { backoff, retryAfterMs } from './backoff.js';
import { batchLength, byteLength, envelope } from './batch.js';
import { iso } from './events.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BEACON_BYTES } from './limits.js';
import type { PersistedQueue } from './persisted-queue.js';
import type { CoreDeps, HttpAnswer, Scheduler, UptakeError } from './types.js';

/** Sends the queue to `POST /v1/batch` (README "Delivery guarantees"). */
export type Dispatcher = {
  /** Sends waiting events now, unless the service asked to wait; resolves when the attempt is over. */
  sendNow(): Promise<void>;
  /** Hands the events not beaconed yet to `sendBeacon` (the page is hidden or going away). */
  sendBeacons(): void;
  /** Forgets the wait (the browser is back online) and sends now. */
  retryNow(): void;
  /** Cancels the scheduled retry. */
  cancelRetry(): void;
};

export type DispatcherDeps = Pick<CoreDeps, 'transport' | 'now' | 'random'> & {
  timers: Scheduler;
  eventQueue: PersistedQueue;
  /** Sending is allowed (consent). */
  canSend(): boolean;
  report(error: UptakeError): void;
};

export const createDispatcher = (endpoint: string, writeKey: string, deps: DispatcherDeps): Dispatcher => {
  const { transport, now, random, timers, eventQueue, canSend, report } = deps;
  /** Events already handed to sendBeacon: not beaconed twice, but still sent (and kept) until a 2xx. */
  const beaconed = new Set<string>();
  let inflight: Promise<void> | undefined;
  let sending = false;
  /** No request before this time (backoff or Retry-After). */
  let waitUntil = 0;
  let failedAttempts = 0;
  /** Events per request; halved by each 413. */
  let maxEvents = MAX_BATCH_EVENTS;
  let retryTimer: unknown;

  const body = (events: string[]): string => envelope(writeKey, iso(now()), events);
  /** The longest run of `events` from the start that fits `max` events and `maxBytes` bytes (at least one). */
  const nextBatch = (events: string[], max: number, maxBytes: number): string[] =>
    events.slice(0, batchLength(events, max, maxBytes, byteLength(body([]))));

  const forget = (events: string[]): void => {
    eventQueue.forgetSent(events);
    if (!eventQueue.unsentEvents().length) beaconed.clear();
  };

  /** One sending loop at a time; `sending` is cleared in the same turn as the loop's last check. */
  const drain = async (): Promise<void> => {
    sending = true;
    try {
      while (canSend() && eventQueue.unsentEvents().length && now() >= waitUntil) {
        const batch = nextBatch(eventQueue.unsentEvents(), maxEvents, MAX_BATCH_BYTES);
        let answer: HttpAnswer;
        try {
          answer = await transport.post(endpoint, body(batch));
        } catch {
          answer = { status: 0 };
        }
        const status = answer.status;
        const statusClass = (status / 100) | 0;
        if (status == 413 && batch.length > 1) {
          // Too large for the service (or a proxy in front of it): send half as many from now on.
          maxEvents = batch.length >> 1;
        } else if (statusClass == 2) {
          failedAttempts = 0;
          forget(batch);
          const rejected = (answer.body as UptakeError | undefined)?.rejected;
          if (rejected?.length) report({ code: 'rejected', status, count: rejected.length, rejected });
        } else if (statusClass == 4 && status != 408 && status != 429) {
          forget(batch);
          report({ code: 'dropped', status, count: batch.length });
        } else {
          // Network down, 408, 429, 5xx: wait as told, else back off, and keep the events.
          const wait = retryAfterMs(answer.retryAfter, now()) ?? backoff(failedAttempts++, random);
          waitUntil = now() + wait;
          timers.clearTimeout(retryTimer);
          retryTimer = timers.setTimeout(sendNow, wait);
        }
      }
    } catch (error) {
      report({ code: 'exception', error });
    }
    sending = false;
  };

  const sendNow = (): Promise<void> => (sending ? inflight! : (inflight = drain()));

  return {
    sendNow,
    sendBeacons: () => {
      if (!canSend() || now() < waitUntil) return;
      let rest = eventQueue.unsentEvents().filter((event) => !beaconed.has(event));
      while (rest.length) {
        const batch = nextBatch(rest, MAX_BATCH_EVENTS, MAX_BEACON_BYTES);
        if (!transport.beacon(endpoint, body(batch))) return;
        for (const event of batch) beaconed.add(event);
        rest = rest.slice(batch.length);
      }
    },
    retryNow: () => {
      waitUntil = 0;
      timers.clearTimeout(retryTimer);
      sendNow();
    },
    cancelRetry: () => timers.clearTimeout(retryTimer),
  };
};
