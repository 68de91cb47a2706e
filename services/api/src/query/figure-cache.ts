import { today } from '../domain/days.ts';
import { dayDataVersion, projectDataVersion } from './derived/data-version.ts';

/** Estimated bytes the figures of one process may take by default (`UPTAKE_FIGURE_CACHE_MB`). */
export const DEFAULT_FIGURE_CACHE_BYTES = 256 * 2 ** 20;

export type FigureCacheOptions = {
  /**
   * How old (from the start of its computation) a cached figure may be when served although
   * this instance stored new events since: within it the figure is served and recomputed in the
   * background, so reads stay fast while events keep arriving; past it, a reader waits for a
   * fresh computation. 0: every figure whose data changed is recomputed before it is served.
   */
  maxStalenessMs: number;
  /**
   * A safety net for changes this instance was not told of (the change feed marks those of other
   * instances): a figure whose data did not change is served and refreshed in the background once
   * older than this (a day part of a day before today: once older than ten times this, as only
   * late events change those).
   */
  unchangedRefreshMs?: number;
  maxEntries?: number;
  /** How many day parts compute at once (each is one query). */
  dayConcurrency?: number;
};

type Entry = { version: string; startedAt: number; value: Promise<unknown>; refreshing: boolean };


/**
 * Computed figures (every user's score for a model and day, a DAU series, …) kept in memory.
 * Concurrent requests for the same figure share one computation. Figures that are sums over
 * days can be kept per day (`days`), so new events recompute only the days they fell on.
 *
 * @example
 * const cache = createFigureCache({ maxStalenessMs: 4000 });
 * const scores = await cache.get(projectId, `users:${version}:${asOf}`, () => computeScores());
 */
export function createFigureCache({ maxStalenessMs, unchangedRefreshMs = 60_000, maxEntries = 5000, dayConcurrency = 2 }: FigureCacheOptions) {
  const entries = new Map<string, Entry>();
  // Bumped when a day part is replaced by a newer one: figures assembled from parts then reassemble.
  const partsReplaced = new Map<string, number>();
  // Days are computed a few at a time: a cold 30-day figure must not take every pooled connection.
  const dayLimit = createLimit(dayConcurrency);

  const start = <T>(fullKey: string, version: string, compute: () => Promise<T>): Entry => {
    const entry: Entry = { version, startedAt: Date.now(), value: compute(), refreshing: false };
    entry.value.catch(() => {
      if (entries.get(fullKey) === entry) entries.delete(fullKey);
    });
    if (!entries.has(fullKey) && entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    return entry;
  };

  /** `compute(urgent)`: urgent when a reader may wait for it, not when it refreshes an unchanged figure. */
  const lookup = <T>(fullKey: string, version: string, refreshUnchangedAfterMs: number, compute: (urgent: boolean) => Promise<T>, onReplaced?: () => void): Promise<T> => {
    const hit = entries.get(fullKey);
    const age = hit ? Date.now() - hit.startedAt : Infinity;
    const unchanged = hit?.version === version;
    if (hit && (unchanged || (maxStalenessMs > 0 && age <= maxStalenessMs))) {
      if ((!unchanged || (maxStalenessMs > 0 && age > refreshUnchangedAfterMs)) && !hit.refreshing) {
        hit.refreshing = true;
        const next = start(fullKey, version, () => compute(!unchanged));
        // Swap in the new figure only once it is ready; until then the current one is served.
        next.value.then(
          () => {
            entries.set(fullKey, next);
            onReplaced?.();
          },
          () => (hit.refreshing = false),
        );
      }
      return hit.value as Promise<T>;
    }
    const entry = start(fullKey, version, () => compute(true));
    entries.set(fullKey, entry);
    return entry.value as Promise<T>;
  };

  return {
    get<T>(projectId: string, key: string, compute: () => Promise<T>): Promise<T> {
      return lookup(`${projectId}\u0000${key}`, `${projectDataVersion(projectId)}:${partsReplaced.get(projectId) ?? 0}`, unchangedRefreshMs, compute);
    },

    /** One part per day (in the order of `days`), each cached and recomputed on its own. */
    days<T>(projectId: string, key: string, days: string[], computeDay: (day: string) => Promise<T>): Promise<T[]> {
      const current = today();
      const replaced = () => partsReplaced.set(projectId, (partsReplaced.get(projectId) ?? 0) + 1);
      return Promise.all(
        days.map((day) =>
          lookup(
            `${projectId}\u0000${key}\u0000${day}`,
            dayDataVersion(projectId, day),
            day >= current ? unchangedRefreshMs : 10 * unchangedRefreshMs,
            (urgent) => dayLimit(() => computeDay(day), urgent),
            replaced,
          ),
        ),
      );
    },
  };
}

export type FigureCache = ReturnType<typeof createFigureCache>;

/**
 * Runs at most `concurrency` of the given tasks at once, the others in the order they came —
 * urgent ones (a reader waits) before the background refreshes.
 */
function createLimit(concurrency: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  let urgentWaiting = 0;
  return async <T>(task: () => Promise<T>, urgent: boolean): Promise<T> => {
    if (running >= concurrency) {
      await new Promise<void>((resolve) => {
        if (urgent) waiting.splice(urgentWaiting++, 0, () => (urgentWaiting--, resolve()));
        else waiting.push(resolve);
      });
    }
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
