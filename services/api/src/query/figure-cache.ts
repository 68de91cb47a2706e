import { AsyncLocalStorage } from 'node:async_hooks';
import { today } from '../domain/days.ts';
import type { FigureMetrics } from '../metrics/metrics.ts';
import { estimateBytes } from './estimate-bytes.ts';
import { createNumbering, type Numbering } from './id-numbers.ts';
import { createLimit } from './limit.ts';

/**
 * Estimated bytes the figures of one process may take by default (`UPTAKE_FIGURE_CACHE_MB`). At
 * 10 M events one day's figures of every route are estimated at 250 MB (the whole history and
 * the segment facts 80 MB each): 1 GB holds today's and yesterday's with their refreshes, where
 * 256 MB dropped the largest between two reads and recomputed them from nothing (docs/benchmarks.md).
 */
export const DEFAULT_FIGURE_CACHE_BYTES = 1024 * 2 ** 20;

/**
 * Where the cache reads whether a project's data changed: the app's change tracker
 * (derived/change-tracker.ts), which ingestion, the rebuild and the change feed mark.
 */
export type DataVersions = {
  /** Changes whenever anything of the project changed. */
  projectDataVersion(projectId: string): string;
  /** Changes whenever the project's figures of one UTC day may have changed. */
  dayDataVersion(projectId: string, day: string): string;
  /** Changes whenever the project's data of a day or an earlier one (or of every day) changed. */
  dataVersionUpTo(projectId: string, day: string): string;
  /** When the project's data (of one day, or of any day up to one, when given) first changed after `projectVersion` was current; undefined: unchanged since. */
  outdatedAt(projectId: string, projectVersion: string, days?: string | { upTo: string }): number | undefined;
  /** The days the project's changes after `projectVersion` named; null: any day may have changed. */
  changedDaysSince(projectId: string, projectVersion: string): string[] | null;
};

export type FigureCacheOptions = {
  versions: DataVersions;
  /**
   * How long after the first change it does not include a cached figure may still be served:
   * within it the figure is served and recomputed in the background, so reads stay fast while
   * events keep arriving; past it, a reader waits for a fresh computation. 0: every figure whose
   * data changed is recomputed before it is served.
   */
  maxStalenessMs: number;
  /**
   * A safety net for changes this instance was not told of (the change feed marks those of other
   * instances): a figure whose data did not change is served and refreshed in the background once
   * older than this (a day part or a figure as of a day before today: once older than ten times
   * this, as only late events change those).
   */
  unchangedRefreshMs?: number;
  /**
   * Estimated bytes the cached figures may take, the id numberings their parts hold included;
   * past it the least recently used figures are dropped (and recomputed when next asked).
   */
  maxBytes?: number;
  /** Estimated bytes after which a project's id numbering is full and a new one starts (default maxBytes / 4). */
  numberingMaxBytes?: number;
  /** How many day parts compute at once (each is one query). */
  dayConcurrency?: number;
  /**
   * How many background refreshes of slow figures (their last computation took `lightFigureMs`
   * or more) run at once (default 2), the quickest last time first. A refresh of a whole figure runs several queries;
   * unbounded, the refreshes after a new event take every pooled connection and a reader's own
   * small query (a user's score) waits behind them. Quick figures refresh at once, not behind the
   * slow ones; the parts a refresh reads refresh within it, outside the bound.
   */
  refreshConcurrency?: number;
  /**
   * A figure whose last computation took less refreshes without waiting for a turn (default 1 s);
   * so does an incremental figure whose refresh starts from its kept value (`incremental`'s
   * `startsFromKept`), whatever its computation from nothing took.
   */
  lightFigureMs?: number;
  /** Computation times, lookups, staleness served and bytes held (docs/operations.md). */
  metrics?: FigureMetrics | undefined;
};

type Entry = {
  version: string;
  /** The project's data version when the computation started: what the figure includes. */
  projectVersion: string;
  startedAt: number;
  value: Promise<unknown>;
  refreshing: boolean;
  /** The computation replacing this entry, while it runs. */
  next?: Entry;
  /** A background refresh waiting for its turn (`refreshConcurrency`) until `queued` turns false, at `at` (performance.now()). */
  turn?: { queued: boolean; at?: number };
  /** How long the computation took once done, without its wait for a turn (which says nothing of the figure). */
  computeMs?: number;
  /** Set once the value is computed: its estimated bytes and the numberings it holds. */
  size?: { bytes: number; numberings: Numbering[] };
  /** The value, once computed (what an incremental figure's next computation starts from). */
  done?: { value: unknown };
};

/** What an incremental figure's computation may start from: its last value and the days changed since that began (never null: else it computes afresh). */
export type FigureSince<T> = { value: T; changedDays: readonly string[] };

/**
 * Computed figures (every user's score for a model and day, a DAU series, …) kept in memory.
 * Concurrent requests for the same figure share one computation. Figures that are sums over
 * days can be kept per day (`days`), so new events recompute only the days they fell on.
 *
 * Memory is bounded by design: every computed figure is sized (`estimateBytes`) and the least
 * recently used ones are dropped while the total (with the id numberings the cached parts hold,
 * each counted once) is over `maxBytes` — whatever keys (`asOf` days, models, ranges) are asked.
 *
 * @example
 * const cache = createFigureCache({ versions: changeTracker, maxStalenessMs: 4000 });
 * const scores = await cache.get(projectId, `users:${version}:${asOf}`, () => computeScores());
 */
export function createFigureCache({ versions, maxStalenessMs, unchangedRefreshMs = 60_000, maxBytes = DEFAULT_FIGURE_CACHE_BYTES, numberingMaxBytes = maxBytes / 4, dayConcurrency = 2, refreshConcurrency = 2, lightFigureMs = 1000, metrics }: FigureCacheOptions) {
  // In use order: the least recently used first.
  const entries = new Map<string, Entry>();
  // Days are computed a few at a time: a cold 30-day figure must not take every pooled connection.
  const dayLimit = createLimit(dayConcurrency);
  const refreshLimit = createLimit(refreshConcurrency);
  // The numbering new parts of a project use, per kind; and how many cached figures hold each numbering.
  const current = new Map<string, Numbering>();
  const holders = new Map<Numbering, number>();
  let entryBytes = 0;
  // The last figures dropped by the bound (when their computation started, their bytes): what a
  // caller's own computations lost (`droppedSince`). A drop is of a whole figure, so 1,000 is plenty.
  const drops: { startedAt: number; bytes: number }[] = [];
  // Set while a figure computes: a figure made of other figures (a comparison of two score
  // tables, the segment facts) must not be made of stale ones, or it would be kept as current
  // for the new data version and serve the old answer until the unchanged-refresh safety net.
  // (So a figure made of day parts needs no recomputing when a part is replaced: it read them
  // current, and a part's day changes only with the project's data.)
  // A reader of `fresh` is never served a stale figure either, but holds no refresh turn: it may
  // wait for a refresh still waiting for its turn.
  const computing = new AsyncLocalStorage<'computation' | 'fresh'>();

  const count = (entry: Entry, sign: 1 | -1) => {
    if (!entry.size) return;
    entryBytes += sign * entry.size.bytes;
    for (const numbering of entry.size.numberings) {
      const held = (holders.get(numbering) ?? 0) + sign;
      if (held > 0) holders.set(numbering, held);
      else holders.delete(numbering);
    }
  };
  const accountedBytes = () => {
    let bytes = entryBytes;
    for (const numbering of new Set([...holders.keys(), ...current.values()])) bytes += numbering.bytes;
    return bytes;
  };
  const remove = (fullKey: string) => {
    const entry = entries.get(fullKey);
    if (!entry) return;
    entries.delete(fullKey);
    count(entry, -1);
  };
  const evict = () => {
    while (accountedBytes() > maxBytes) {
      let oldest: string | undefined;
      for (const [key, entry] of entries) {
        if (entry.size) {
          oldest = key;
          break;
        }
      }
      if (oldest !== undefined) {
        const entry = entries.get(oldest)!;
        drops.push({ startedAt: entry.startedAt, bytes: entry.size!.bytes });
        if (drops.length > 1000) drops.shift();
        metrics?.dropped(figureOf(oldest));
        remove(oldest);
        continue;
      }
      // Only numberings no cached figure holds are left: the next parts start new ones.
      for (const [key, numbering] of current) if (!holders.has(numbering)) current.delete(key);
      break;
    }
  };
  const put = (fullKey: string, entry: Entry) => {
    remove(fullKey);
    entries.set(fullKey, entry);
    count(entry, 1);
    evict();
  };

  const start = <T>(fullKey: string, projectId: string, version: string, compute: () => Promise<T>): Entry => {
    const started = performance.now();
    const entry: Entry = { version, projectVersion: versions.projectDataVersion(projectId), startedAt: Date.now(), value: computing.run('computation', compute), refreshing: false };
    if (metrics) {
      const figure = figureOf(fullKey);
      entry.value.then(
        () => metrics.computed(figure, (performance.now() - started) / 1000, true),
        () => metrics.computed(figure, (performance.now() - started) / 1000, false),
      );
    }
    entry.value.then(
      (value) => {
        entry.done = { value };
        entry.computeMs = performance.now() - (entry.turn?.at ?? started);
        const numberings = new Set<Numbering>();
        entry.size = { bytes: 128 + 2 * fullKey.length + estimateBytes(value, numberings), numberings: [...numberings] };
        if (entries.get(fullKey) === entry) {
          count(entry, 1);
          evict();
        }
      },
      () => {
        if (entries.get(fullKey) === entry) remove(fullKey);
      },
    );
    return entry;
  };

  /** `compute(urgent)`: urgent when a reader may wait for it, not when it refreshes an unchanged figure. */
  const lookup = <T>(
    at: { fullKey: string; projectId: string; days?: string | { upTo: string } },
    version: string,
    refreshUnchangedAfterMs: number,
    compute: (urgent: boolean) => Promise<T>,
    quick?: (hit: Entry) => boolean,
  ): Promise<T> => {
    const { fullKey, projectId } = at;
    const reader = computing.getStore();
    const nested = reader === 'computation';
    // The refresh of the current data, when one runs and may be waited for: a computation must
    // not wait for one still waiting for its turn (it may hold that turn itself).
    const currentRefresh = (entry: Entry) => (entry.next?.version === version && !(nested && entry.next.turn?.queued === true) ? entry.next : undefined);
    const hit = entries.get(fullKey);
    const now = Date.now();
    const age = hit ? now - hit.startedAt : Infinity;
    const unchanged = hit?.version === version;
    // How long ago the data first changed after the figure's computation started.
    const staleFor = hit && !unchanged ? now - (versions.outdatedAt(projectId, hit.projectVersion, at.days) ?? now) : 0;
    if (hit && (unchanged || (maxStalenessMs > 0 && staleFor <= maxStalenessMs))) {
      metrics?.looked(figureOf(fullKey), unchanged || reader !== undefined ? 'fresh' : 'stale', staleFor / 1000);
      // Used now: the last to be dropped.
      entries.delete(fullKey);
      entries.set(fullKey, hit);
      if ((!unchanged || (maxStalenessMs > 0 && age > refreshUnchangedAfterMs)) && !hit.refreshing) {
        hit.refreshing = true;
        // Inside another computation, quick last time, or a refresh of changed data that starts
        // from the kept value: at once. (The safety-net refresh of unchanged data computes afresh.)
        const atOnce = nested || (hit.computeMs ?? Infinity) < lightFigureMs || (!unchanged && quick?.(hit) === true);
        const turn: { queued: boolean; at?: number } = { queued: !atOnce };
        const next = start(fullKey, projectId, version, () =>
          atOnce
            ? compute(!unchanged)
            : refreshLimit(
                () => {
                  turn.queued = false;
                  turn.at = performance.now();
                  return compute(!unchanged);
                },
                false,
                hit.computeMs ?? Infinity,
              ),
        );
        next.turn = turn;
        hit.next = next;
        // Swap in the new figure only once it is ready; until then the current one is served.
        next.value.then(
          () => {
            delete hit.next;
            // Dropped meanwhile (memory bound): not brought back, the next reader recomputes.
            if (entries.get(fullKey) !== hit) return;
            put(fullKey, next);
          },
          () => {
            delete hit.next;
            hit.refreshing = false;
          },
        );
      }
      if (unchanged || reader === undefined) return hit.value as Promise<T>;
      // Inside another figure's computation only a figure of the current data serves: its
      // refresh, or one more computation, not kept. A fresh reader waits for the refresh, or
      // (one of older data running) for a computation it starts below.
      const refresh = currentRefresh(hit);
      if (refresh) return refresh.value as Promise<T>;
      if (nested) return computing.run('computation', () => compute(true));
    }
    // Too stale to serve: a reader waits for the refresh of the current data if one runs.
    const running = hit && currentRefresh(hit);
    if (running) {
      metrics?.looked(figureOf(fullKey), 'fresh', 0);
      return running.value as Promise<T>;
    }
    metrics?.looked(figureOf(fullKey), 'computed', 0);
    const entry = start(fullKey, projectId, version, () => compute(true));
    put(fullKey, entry);
    return entry.value as Promise<T>;
  };
  metrics?.sizeFrom(accountedBytes);

  /** Where a whole figure is kept, the version of the data it reads (`asOf`: of that day's and earlier ones only), and when its safety-net refresh is due (as for day parts). */
  const figureAt = (projectId: string, key: string, asOf: string | undefined) => ({
    at: { fullKey: `${projectId}\u0000${key}`, projectId, ...(asOf === undefined ? {} : { days: { upTo: asOf } }) },
    version: asOf === undefined ? versions.projectDataVersion(projectId) : versions.dataVersionUpTo(projectId, asOf),
    refreshUnchangedAfterMs: asOf === undefined || asOf >= today() ? unchangedRefreshMs : 10 * unchangedRefreshMs,
  });

  return {
    /**
     * A figure, computed once and kept until the project's data changes. `asOf`: the figure reads
     * only events up to the end of that day (and links and joins, which change every day), so
     * events of later days leave it current: a figure as of last month is not recomputed for
     * today's events.
     */
    get<T>(projectId: string, key: string, compute: () => Promise<T>, asOf?: string): Promise<T> {
      const { at, version, refreshUnchangedAfterMs } = figureAt(projectId, key, asOf);
      return lookup(at, version, refreshUnchangedAfterMs, compute);
    },

    /**
     * As `get`, for a figure that can bring its last value up to date from the days changed since
     * (cheaper than computing it afresh): `compute` is handed the value cached when it starts, if
     * any, with the days the project's changes named since that value's computation began; when
     * a change may have touched any day (a link, a membership, a rebuild), it computes afresh.
     * `startsFromKept(changedDays)`: whether a computation handed those days uses the kept value
     * (then its refresh is quick: it takes no turn, see `lightFigureMs`).
     */
    incremental<T>(projectId: string, key: string, compute: (since: FigureSince<T> | undefined) => Promise<T>, asOf?: string, startsFromKept?: (changedDays: readonly string[]) => boolean): Promise<T> {
      const { at, version, refreshUnchangedAfterMs } = figureAt(projectId, key, asOf);
      return lookup(
        at,
        version,
        refreshUnchangedAfterMs,
        (urgent) => {
          // Not urgent: the safety-net refresh of a figure whose data did not change (as far as this
          // instance was told), which must compute afresh to catch what it was not told.
          const last = urgent ? entries.get(at.fullKey) : undefined;
          const changedDays = last?.done && versions.changedDaysSince(projectId, last.projectVersion);
          return compute(last?.done && changedDays ? { value: last.done.value as T, changedDays } : undefined);
        },
        // A refresh from the kept value is quick, however long the figure took from nothing (the
        // first refresh after a start would otherwise wait behind every slow one).
        startsFromKept &&
          ((hit) => {
            const changedDays = hit.done && versions.changedDaysSince(projectId, hit.projectVersion);
            return Boolean(changedDays) && startsFromKept(changedDays as string[]);
          }),
      );
    },

    /** One part per day (in the order of `days`), each cached and recomputed on its own. */
    days<T>(projectId: string, key: string, days: string[], computeDay: (day: string) => Promise<T>): Promise<T[]> {
      const now = today();
      return Promise.all(
        days.map((day) =>
          lookup(
            { fullKey: `${projectId}\u0000${key}\u0000${day}`, projectId, days: day },
            versions.dayDataVersion(projectId, day),
            day >= now ? unchangedRefreshMs : 10 * unchangedRefreshMs,
            (urgent) => dayLimit(() => computeDay(day), urgent),
          ),
        ),
      );
    },

    /**
     * The numbering new parts of a project number their ids with (per kind): a new one once the
     * current is full. Parts keep the numbering they were made with (see id-numbers.ts).
     */
    numbering(projectId: string, kind: 'users' | 'accounts'): Numbering {
      const key = `${kind}\u0000${projectId}`;
      let numbering = current.get(key);
      if (!numbering || numbering.bytes >= numberingMaxBytes) current.set(key, (numbering = createNumbering()));
      return numbering;
    },

    /**
     * Runs `read` with every figure it reads current: none is served stale within it, whatever
     * the staleness bound (the refresh of the current data is waited for), so a reader that must
     * act on exact figures (the segment watcher) shares this cache with the query API's readers.
     */
    fresh<T>(read: () => Promise<T>): Promise<T> {
      return computing.run('fresh', read);
    },

    /** Estimated bytes held: computed figures and the numberings they (or new parts) use. */
    accountedBytes,

    /** The figures whose computation started at `since` (Date.now()) or later that the bound has dropped since, and their estimated bytes. */
    droppedSince(since: number): { figures: number; bytes: number } {
      const dropped = drops.filter((drop) => drop.startedAt >= since);
      return { figures: dropped.length, bytes: dropped.reduce((sum, drop) => sum + drop.bytes, 0) };
    },
  };
}

export type FigureCache = ReturnType<typeof createFigureCache>;

/** The kind of figure a cache key holds (`users`, `active-users`, `segment-facts` …): its first part, for metric labels. */
function figureOf(fullKey: string): string {
  const key = fullKey.split('\u0000')[1] ?? '';
  const kind = key.split(':')[0]!;
  return /^[a-z-]{1,40}$/.test(kind) ? kind : 'other';
}
