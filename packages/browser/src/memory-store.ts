import type { KeyValueStore } from './types.js';

/**
 * A {@link KeyValueStore} in memory: the fallback when localStorage is unavailable, and handy in tests.
 *
 * @example
 * createUptake({ writeKey, host, persistence: 'memory' }) // uses memoryStore() for you
 */
export const memoryStore = (): KeyValueStore => {
  const map: Record<string, string> = {};
  return {
    get: (key) => map[key] ?? null,
    set: (key, value) => void (map[key] = value),
    remove: (key) => void delete map[key],
    keys: () => Object.keys(map),
  };
};
