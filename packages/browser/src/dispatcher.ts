import { backoff, retryAfterMs } from './backoff.js';
import { byteLength, iso } from './encoding.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BEACON_BYTES } from './limits.js';
import type { CoreDeps, HttpAnswer, Options, Scheduler, UptakeError } from './types.js';

/** What the dispatcher needs from the instance that owns the persisted queue. */
export type DispatcherHost = {
  /** Whether consent allows sending now (README "Privacy and consent"). */
  maySend(): number;
  /** Stores the queue after the dispatcher took delivered events out of it. */
  saveQueue(): void;
  report(error: UptakeError): void;
};

/** What the instance drives in its dispatcher. */
export type Dispatcher = {
  /** Sends waiting events now, unless the service asked to wait; resolves when the attempt is over. */
  sendNow(): Promise<void>;
  /** The page is hidden: hands the events not beaconed yet to `sendBeacon`, unless the service asked to wait. */
  sendBeforeHiding(): void;
  /** Forgets the wait (the browser is back online) and sends now. */
  retryNow(): void;
  /** Cancels the retry timer (the instance is closed). */
  stopRetrying(): void;
};

/**
 * The dispatcher (README "Delivery guarantees"): batches of the waiting events to `POST /v1/batch`,
 * one request at a time; backoff with jitter or `Retry-After` on 408, 429, 5xx and network errors;
 * a 413 halves the batch; beacons when the page is hidden. The events stay in the host's queue
 * until a 2xx (or a refusal for good). `queue` is the instance's persisted queue (oldest first),
 * which both change in place.
 */
export const createDispatcher = (
  options: Options,
  deps: CoreDeps,
  scheduler: Scheduler,
  queue: string[],
  maySend: DispatcherHost['maySend'],
  saveQueue: DispatcherHost['saveQueue'],
  report: DispatcherHost['report'],
): Dispatcher => {
  const endpoint = options.host.replace(/\/+$/, '') + '/v1/batch';
  /** Events already handed to sendBeacon: not beaconed twice, but still sent (and kept) until a 2xx. */
  const beaconed = new Set<string>();
  let inflight: Promise<void> | undefined;
  let sending = false;
  /** No request before this time (backoff or Retry-After). */
  let waitUntil = 0;
  let failedAttempts = 0;
  /** Events per request; halved by each 413. */
  let maxEventsPerRequest = MAX_BATCH_EVENTS;
  let retryTimer: unknown;

  /** The body of `POST /v1/batch` (docs/protocol.md): `{ writeKey, sentAt, batch }` around serialised events. */
  const body = (events: string[]): string =>
    `{"writeKey":${JSON.stringify(options.writeKey)},"sentAt":"${iso(deps.now())}","batch":[${events.join(',')}]}`;

  /** The longest run of `events` from the start that fits `maxEvents` events and `maxBytes` bytes (at least one). */
  const nextBatch = (events: string[], maxEvents: number, maxBytes: number): string[] => {
    let size = byteLength(body([]));
    let count = 0;
    for (const event of events) {
      size += byteLength(event) + 1;
      if (count >= maxEvents || (count && size > maxBytes)) break;
      count++;
    }
    return events.slice(0, count);
  };

  /** Takes events the service took (or refused for good) out of the queue, in place, and saves it. */
  const delivered = (events: string[]): void => {
    const done = new Set(events);
    queue.splice(0, queue.length, ...queue.filter((event) => !done.has(event)));
    if (!queue.length) beaconed.clear();
    saveQueue();
  };

  /** One sending loop at a time; `sending` is cleared in the same turn as the loop's last check. */
  const drain = async (): Promise<void> => {
    sending = true;
    try {
      while (maySend() && queue.length && deps.now() >= waitUntil) {
        const batch = nextBatch(queue, maxEventsPerRequest, MAX_BATCH_BYTES);
        let answer: HttpAnswer;
        try {
          answer = await deps.transport.post(endpoint, body(batch));
        } catch {
          answer = { status: 0 };
        }
        const status = answer.status;
        const statusClass = (status / 100) | 0;
        if (status == 413 && batch.length > 1) {
          // Too large for the service (or a proxy in front of it): send half as many from now on.
          maxEventsPerRequest = batch.length >> 1;
        } else if (statusClass == 2) {
          failedAttempts = 0;
          delivered(batch);
          const rejected = (answer.body as UptakeError | undefined)?.rejected;
          if (rejected?.length) report({ code: 'rejected', status, count: rejected.length, rejected });
        } else if (statusClass == 4 && status != 408 && status != 429) {
          delivered(batch);
          report({ code: 'dropped', status, count: batch.length });
        } else {
          // Network down, 408, 429, 5xx: wait as told, else back off, and keep the events.
          const wait = retryAfterMs(answer.retryAfter, deps.now()) ?? backoff(failedAttempts++, deps.random);
          waitUntil = deps.now() + wait;
          scheduler.clearTimeout(retryTimer);
          retryTimer = scheduler.setTimeout(sendNow, wait);
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
    sendBeforeHiding: () => {
      if (!maySend() || deps.now() < waitUntil) return;
      const rest = queue.filter((event) => !beaconed.has(event));
      while (rest.length) {
        const batch = nextBatch(rest, MAX_BATCH_EVENTS, MAX_BEACON_BYTES);
        if (!deps.transport.beacon(endpoint, body(batch))) return;
        for (const event of batch) beaconed.add(event);
        rest.splice(0, batch.length);
      }
    },
    retryNow: () => {
      waitUntil = 0;
      scheduler.clearTimeout(retryTimer);
      sendNow();
    },
    stopRetrying: () => scheduler.clearTimeout(retryTimer),
  };
};
