import { LEASE_MS, MAX_EVENT_BYTES, MAX_QUEUE_CHARS, MAX_QUEUE_EVENTS } from './limits.js';
import { byteLength } from './batch.js';
import { LEASE_PREFIX, QUEUE_PREFIX } from './stored-format.js';
import type { KeyValueStore, Properties, UptakeError } from './types.js';

/**
 * The page load's unsent events, oldest first (README "Delivery guarantees"). The memory copy is the
 * truth for this page load; storage (`uptake.q.<tab>`, with its lease `uptake.l.<tab>`) is its backup.
 */
export type PersistedQueue = {
  /** The serialised events, oldest first. */
  unsentEvents(): string[];
  /** Queues an event (an event over 32 KB is dropped and reported); `saveQueue()` stores it. */
  queueEvent(event: Properties): void;
  /** Forgets these events (sent, or dropped by the service) and saves. */
  forgetSent(events: string[]): void;
  /** Forgets every event, without saving (consent withdrawn). */
  dropAll(): void;
  /** Drops the oldest events beyond the bounds, stores the queue and renews the lease. */
  saveQueue(): void;
  /** Takes over the queues of page loads that are gone (lease released or expired), then saves. */
  adoptOrphans(): void;
  /** Gives up the lease (the page is going away), so that the next page load adopts the queue at once. */
  releaseLease(): void;
};

/**
 * `write` stores a key, or removes it for `undefined`, only as consent allows; `storage` is read
 * directly (to find other page loads' queues). `tab` names this page load.
 */
export const createPersistedQueue = (
  storage: KeyValueStore,
  write: (key: string, value?: string) => void,
  tab: string,
  now: () => number,
  report: (error: UptakeError) => void,
): PersistedQueue => {
  const queueKey = QUEUE_PREFIX + tab;
  const leaseKey = LEASE_PREFIX + tab;
  let events: string[] = [];
  /** Events dropped for overflow since the page loaded. */
  let dropped = 0;

  const save = (): void => {
    let size = events.join('\n').length;
    let lost = 0;
    while (events.length > MAX_QUEUE_EVENTS || size > MAX_QUEUE_CHARS) {
      size -= events.shift()!.length + 1;
      lost++;
    }
    if (lost) {
      dropped += lost;
      report({ code: 'overflow', count: lost, dropped });
    }
    const text = events.join('\n');
    write(queueKey, text);
    write(leaseKey, text && String(now() + LEASE_MS));
  };

  return {
    unsentEvents: () => events,
    queueEvent: (event) => {
      const text = JSON.stringify(event);
      if (byteLength(text) > MAX_EVENT_BYTES) report({ code: 'too_large', count: 1 });
      else events.push(text);
    },
    forgetSent: (sent) => {
      const done = new Set(sent);
      events = events.filter((event) => !done.has(event));
      save();
    },
    dropAll: () => {
      events = [];
    },
    saveQueue: save,
    adoptOrphans: () => {
      const at = now();
      const found: string[] = [];
      for (const key of storage.keys()) {
        const isQueue = key.startsWith(QUEUE_PREFIX);
        const owner = isQueue ? key.slice(QUEUE_PREFIX.length) : key.startsWith(LEASE_PREFIX) && key.slice(LEASE_PREFIX.length);
        if (owner && owner != tab && !(Number(storage.get(LEASE_PREFIX + owner)) > at)) {
          if (isQueue) found.push(...(storage.get(key) || '').split('\n').filter(Boolean));
          storage.remove(key);
        }
      }
      events = found.concat(events);
      save();
    },
    releaseLease: () => write(leaseKey),
  };
};
