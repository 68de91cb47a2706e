import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { today } from '../domain/days.ts';
import { createFigureCache, type FigureCache } from '../query/figure-cache.ts';
import { checkProjectSegments } from './check-segments.ts';
import type { RecordOutcome } from './record-transitions.ts';
import { trackedSegments } from './tracked-segments.ts';

export type SegmentWatcherOptions = {
  db: Kysely<Database>;
  /** The app's change tracker: which projects' figures changed (ingestion, rebuild, change feed). */
  changeTracker: ChangeTracker;
  log: Pick<Logger, 'warn' | 'debug'>;
  /** How often to look for changed projects (ms). */
  pollMs?: number;
  /** How often every project is looked at for changed definitions (custom rules, thresholds, score model) (ms). */
  fullPassMs?: number;
  /**
   * The figure cache to read (the app's, shared with the query API), always read current
   * (`fresh`); without one, the watcher keeps figures of its own (64 MB) with no staleness allowance.
   */
  cache?: FigureCache;
  /** The clock: the UTC day of `now()` is the as-of day of every check (tests drive it). */
  now?: () => Date;
};

export type SegmentWatcher = {
  /** Checks one project now as of `asOf` (default: today by the watcher's clock). */
  checkProject(projectId: string, asOf?: string): Promise<RecordOutcome>;
  /** One round: every project whose figures changed, all of them on a new day or a full pass. */
  tick(): Promise<void>;
  start(): void;
  /**
   * Ends the rounds. A check in flight gives up at its next step, recording nothing (the next
   * start checks again); this waits for it at most `STOP_WAIT_MS`, since a step can be a refresh
   * of the figures over every user (over a minute at 50 M events under load).
   */
  stop(): Promise<void>;
};

/** After a round of checks, the watcher waits this many times the round's duration (or the poll interval, if longer), … */
const BUSY_ROUND_GAP = 3;
/** … but no longer than this (ms): a transition's webhook waits at most this plus a check. */
const MAX_ROUND_GAP_MS = 10_000;
/**
 * How long `stop()` waits for a check in flight to give up (ms): well within the 10 s Fastify
 * allows a `preClose` hook. Past it the store closes anyway; the closing pool waits for the query
 * in flight, and the check's next read fails on the closed pool.
 */
const STOP_WAIT_MS = 3_000;

type Seen = { version: string; day: string; definitions: string };

/**
 * Records segment transitions (docs/plays.md): polls the change tracker for projects whose
 * figures changed and checks them; on each UTC day change and every `fullPassMs`, looks at every
 * project (a new day moves members by time alone; a changed definition starts a baseline; a new
 * project gets its first baseline). Reads the figures current (the cache's `fresh`: never served
 * stale), so a check always reflects every change marked before it began.
 *
 * @example
 * const watcher = createSegmentWatcher({ db, changeTracker, log });
 * watcher.start();
 * await watcher.stop();
 */
export function createSegmentWatcher({ db, changeTracker, log, pollMs = 500, fullPassMs = 60_000, cache = createFigureCache({ versions: changeTracker, maxStalenessMs: 0, maxBytes: 64 * 2 ** 20 }), now = () => new Date() }: SegmentWatcherOptions): SegmentWatcher {
  const seen = new Map<string, Seen>();
  // A project whose check failed waits before the next try (1 s, doubling to a minute): one broken project must not flood the log.
  const failing = new Map<string, { retryAt: number; waitMs: number }>();
  let lastFullPass = -Infinity;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let stopping = new AbortController();

  const checkProject = (projectId: string, asOf = today(now())) => cache.fresh(() => checkProjectSegments(db, cache, projectId, asOf, now(), stopping.signal));

  const checkIfChanged = async (projectId: string, day: string, full: boolean) => {
    const version = changeTracker.projectDataVersion(projectId);
    const before = seen.get(projectId);
    if (before && before.version === version && before.day === day && !full) return;
    // Definitions change without events (a custom segment edited, a model activated): compared on full passes.
    const definitions = full ? (await trackedSegments(db, projectId)).segments.map((segment) => segment.definition + segment.key).join('\n') : (before?.definitions ?? '');
    if (before && before.version === version && before.day === day && before.definitions === definitions) return;
    const outcome = await checkProject(projectId, day);
    // Raced: another instance recorded meanwhile; forgotten, so the next round computes again.
    if (outcome.status === 'raced') seen.delete(projectId);
    else seen.set(projectId, { version, day, definitions: full || !before ? definitions : before.definitions });
    if (outcome.status === 'recorded' && outcome.entered + outcome.exited > 0) {
      log.debug({ projectId, day, entered: outcome.entered, exited: outcome.exited, deliveries: outcome.deliveries }, 'segment transitions recorded');
    }
  };

  const round = async () => {
    const day = today(now());
    const full = Date.now() - lastFullPass >= fullPassMs || [...seen.values()].some((one) => one.day !== day);
    if (full) lastFullPass = Date.now();
    // Every round: a new project's first events are watched at once (one short query).
    const projectIds = (await db.selectFrom('projects').select('project_id').orderBy('project_id').execute()).map((row) => row.project_id);
    for (const projectId of projectIds) {
      // A project seen for the first time gets its baseline and its definitions noted.
      const first = !seen.has(projectId) && !failing.has(projectId);
      if (stopped) return;
      const failed = failing.get(projectId);
      if (failed && Date.now() < failed.retryAt) continue;
      try {
        await checkIfChanged(projectId, day, full || first || failed !== undefined);
        failing.delete(projectId);
      } catch (error) {
        // Given up at stop(), or failed on the store closing behind it: nothing to retry.
        if (stopped) return;
        const waitMs = Math.min(60_000, (failed?.waitMs ?? 500) * 2);
        failing.set(projectId, { retryAt: Date.now() + waitMs, waitMs });
        log.warn({ err: error, projectId, retryInMs: waitMs }, 'segment check failed; tried again later');
      }
    }
  };

  const tick = async () => {
    // One round at a time: a slow round delays the next, never overlaps it.
    if (running) return running;
    running = round().finally(() => (running = undefined));
    return running;
  };

  return {
    checkProject,
    tick,
    start() {
      stopped = false;
      stopping = new AbortController();
      // Rounds that fail (the database unreachable) wait longer each time, up to a minute.
      let failures = 0;
      const loop = () => {
        if (stopped) return;
        const started = performance.now();
        tick()
          .then(
            () => (failures = 0),
            (error: unknown) => {
              failures++;
              if (!stopped) log.warn({ err: error }, 'segment watcher round failed');
            },
          )
          .finally(() => {
            // After a round of checks that took long (a large project under steady ingestion, whose
            // figures change every round), the next waits in proportion: the watcher takes about a
            // quarter of the time, ingestion (on PGlite, the same thread) the rest. Back to back,
            // the checks halved PGlite's ingestion (docs/benchmarks.md).
            const quietMs = Math.max(pollMs, Math.min(MAX_ROUND_GAP_MS, BUSY_ROUND_GAP * (performance.now() - started)));
            if (!stopped) timer = setTimeout(loop, failures === 0 ? quietMs : Math.min(60_000, pollMs * 2 ** failures)).unref();
          });
      };
      loop();
    },
    async stop() {
      stopped = true;
      stopping.abort();
      clearTimeout(timer);
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([running?.catch(() => {}), new Promise((resolve) => (waited = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(waited);
    },
  };
}
