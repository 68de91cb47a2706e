import { MAX_QUEUE_CHARS, MAX_QUEUE_EVENTS } from './limits.js';
import { LEASE_PREFIX, QUEUE_PREFIX } from './stored-format.js';
import type { KeyValueStore } from './types.js';

/**
 * The rules of the persisted queue (README "Delivery guarantees"): a page load's unsent events,
 * serialised, oldest first, stored one per line under `uptake.q.<tab>` with a lease `uptake.l.<tab>`
 * (src/stored-format.ts). The core keeps the queue in memory (the truth for the page load) and
 * stores it after each change.
 */

/** Drops the oldest events of `queue` (in place) beyond its bounds; returns how many it dropped. */
export const trimQueue = (queue: string[]): number => {
  let size = queue.join('\n').length;
  let lost = 0;
  while (queue.length > MAX_QUEUE_EVENTS || size > MAX_QUEUE_CHARS) {
    size -= queue.shift()!.length + 1;
    lost++;
  }
  return lost;
};

/**
 * Takes over the stored queues of page loads that are gone (lease released or expired), other than
 * `tab`: removes their keys and returns their events, oldest first.
 */
export const takeOrphanedQueues = (storage: KeyValueStore, tab: string, at: number): string[] => {
  const adopted: string[] = [];
  for (const key of storage.keys()) {
    const isQueue = key.startsWith(QUEUE_PREFIX);
    // Both prefixes have the same length: what follows is the page load that owns the key.
    const owner = (isQueue || key.startsWith(LEASE_PREFIX)) && key.slice(QUEUE_PREFIX.length);
    if (owner && owner != tab && !(+storage.get(LEASE_PREFIX + owner)! > at)) {
      if (isQueue) adopted.push(...(storage.get(key) || '').split('\n').filter(Boolean));
      storage.remove(key);
    }
  }
  return adopted;
};
