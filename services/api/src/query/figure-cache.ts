import { dataEpoch, projectDataVersion } from './derived/data-version.ts';

/**
 * Computed figures (every user's score for a model and day, …) kept in memory until the
 * project stores new events (same process) or `maxAgeMs` passes (events stored by another
 * instance). Concurrent requests for the same figure share one computation.
 */
export function createFigureCache(maxAgeMs = 60_000, maxEntries = 500) {
  const entries = new Map<string, { version: string; expires: number; value: Promise<unknown> }>();
  return {
    get<T>(projectId: string, key: string, compute: () => Promise<T>): Promise<T> {
      const fullKey = `${projectId}\u0000${key}`;
      const version = `${dataEpoch()}:${projectDataVersion(projectId)}`;
      const now = Date.now();
      const hit = entries.get(fullKey);
      if (hit && hit.version === version && hit.expires > now) return hit.value as Promise<T>;
      const value = compute();
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(fullKey, { version, expires: now + maxAgeMs, value });
      value.catch(() => entries.delete(fullKey));
      return value;
    },
  };
}

export type FigureCache = ReturnType<typeof createFigureCache>;
