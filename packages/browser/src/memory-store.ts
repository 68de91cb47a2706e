import type { KeyValueStore } from './types.js';

/**
 * A {@link KeyValueStore} in memory: the fallback when localStorage is unavailable, and handy in tests.
 *
 * @example
 * createUptake({ writeKey, host, persistence: 'memory' }) // uses memoryStore() for you
 */
export const memoryStore = (): KeyValueStore => {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
    keys: () => [...map.keys()],
  };
};
