import { dataEpoch, projectDataVersion } from './derived/data-version.ts';

export type FigureCacheOptions = {
  /**
   * How old (from the start of its computation) a cached figure may be when served although
   * this instance stored new events since: within it the figure is served and recomputed in the
   * background, so reads stay fast while events keep arriving; past it, a reader waits for a
   * fresh computation. A figure whose data did not change here is served and, once older than a
   * quarter of the bound, refreshed in the background — that is how events stored by another
   * instance show up. 0: every figure whose data changed is recomputed before it is served.
   */
  maxStalenessMs: number;
  maxEntries?: number;
};

type Entry = { version: string; startedAt: number; value: Promise<unknown>; refreshing: boolean };

/**
 * Computed figures (every user's score for a model and day, a DAU series, …) kept in memory.
 * Concurrent requests for the same figure share one computation.
 *
 * @example
 * const cache = createFigureCache({ maxStalenessMs: 4000 });
 * const scores = await cache.get(projectId, `users:${version}:${asOf}`, () => computeScores());
 */
export function createFigureCache({ maxStalenessMs, maxEntries = 500 }: FigureCacheOptions) {
  const entries = new Map<string, Entry>();

  const start = <T>(fullKey: string, version: string, compute: () => Promise<T>): Entry => {
    const entry: Entry = { version, startedAt: Date.now(), value: compute(), refreshing: false };
    entry.value.catch(() => {
      if (entries.get(fullKey) === entry) entries.delete(fullKey);
    });
    if (!entries.has(fullKey) && entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    return entry;
  };

  return {
    get<T>(projectId: string, key: string, compute: () => Promise<T>): Promise<T> {
      const fullKey = `${projectId}\u0000${key}`;
      const version = `${dataEpoch()}:${projectDataVersion(projectId)}`;
      const hit = entries.get(fullKey);
      const age = hit ? Date.now() - hit.startedAt : Infinity;
      const unchanged = hit?.version === version;
      if (hit && (unchanged || (maxStalenessMs > 0 && age <= maxStalenessMs))) {
        if ((!unchanged || (maxStalenessMs > 0 && age > maxStalenessMs / 4)) && !hit.refreshing) {
          hit.refreshing = true;
          const next = start(fullKey, version, compute);
          // Swap in the new figure only once it is ready; until then the current one is served.
          next.value.then(
            () => entries.set(fullKey, next),
            () => (hit.refreshing = false),
          );
        }
        return hit.value as Promise<T>;
      }
      const entry = start(fullKey, version, compute);
      entries.set(fullKey, entry);
      return entry.value as Promise<T>;
    },
  };
}

export type FigureCache = ReturnType<typeof createFigureCache>;
