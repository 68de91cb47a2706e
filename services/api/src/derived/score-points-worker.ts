import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { fillActiveDays, projectsWithoutActiveDays } from './active-days.ts';
import { dropScorePoints, fillScorePoints, foldScorePoints, projectsWithQueuedDays, scorePointsWork } from './score-points.ts';

/** How the score-points worker runs (docs/architecture.md, "Scores at scale"); `config.ts` reads them from the environment. */
export type ScorePointsSettings = {
  /** Run the worker in this app (`UPTAKE_SCORE_POINTS`, default on). */
  run: boolean;
  /** Time between folds of the queued days (ms, `UPTAKE_SCORE_POINTS_POLL_MS`, default 500); versions without points are looked for every tenth. */
  intervalMs: number;
};

export const DEFAULT_SCORE_POINTS_SETTINGS: ScorePointsSettings = { run: true, intervalMs: 500 };

export type ScorePointsWorker = {
  start(): void;
  /** Stops after the transaction in hand; the next start resumes. */
  close(): Promise<void>;
  /** Resolves when the current runs (if any) are over: for tests and `close`. */
  idle(): Promise<void>;
};

/**
 * Two loops: one folds the days ingestion queued into the kept points and the kept activity
 * (every `intervalMs`, all of them each time); the other fills the points of every active or
 * shadow score model version that has none yet (a new version, a new project, a database from
 * before the points existed), forgets those of retired versions, and fills the kept activity of
 * projects without it (every ten intervals), so a long fill never holds up the folds. Until a version is ready its answers are computed from the per-day counts, as exact and
 * slower. Several instances may run it: a fold takes its days off the queue, a fill keeps the
 * rows another wrote.
 */
export function createScorePointsWorker(db: Kysely<Database>, settings: ScorePointsSettings, logger: Logger): ScorePointsWorker {
  let closing = false;
  const fold = async () => {
    for (const projectId of await projectsWithQueuedDays(db)) {
      while (!closing && (await foldScorePoints(db, projectId)) > 0);
    }
  };
  const fill = async () => {
    const work = await scorePointsWork(db);
    for (const { projectId, version } of work.drop) if (!closing) await dropScorePoints(db, projectId, version);
    for (const { projectId, version } of work.fill) {
      if (closing) return;
      const started = Date.now();
      if ((await fillScorePoints(db, projectId, version)) === 'ready') logger.info({ projectId, version, ms: Date.now() - started }, 'score points ready');
    }
    for (const projectId of await projectsWithoutActiveDays(db)) {
      if (closing) return;
      const started = Date.now();
      await fillActiveDays(db, projectId);
      logger.info({ projectId, ms: Date.now() - started }, 'kept activity ready');
    }
  };
  const loops = [
    { work: fold, everyMs: settings.intervalMs, timer: undefined as NodeJS.Timeout | undefined, running: Promise.resolve() },
    { work: fill, everyMs: 10 * settings.intervalMs, timer: undefined as NodeJS.Timeout | undefined, running: Promise.resolve() },
  ];
  const tick = (loop: (typeof loops)[number]) => {
    loop.running = loop
      .work()
      // A database outage or a closing pool: the next run resumes.
      .catch((error: unknown) => {
        if (!closing) logger.warn({ err: error }, 'score points run failed; retried at the next run');
      })
      .finally(() => {
        if (!closing) loop.timer = setTimeout(() => tick(loop), loop.everyMs).unref();
      });
  };
  return {
    start: () => {
      closing = false;
      for (const loop of loops) if (loop.timer === undefined) loop.timer = setTimeout(() => tick(loop), 0).unref();
    },
    idle: async () => {
      await Promise.all(loops.map((loop) => loop.running));
    },
    close: async () => {
      closing = true;
      for (const loop of loops) {
        clearTimeout(loop.timer);
        loop.timer = undefined;
      }
      await Promise.all(loops.map((loop) => loop.running));
    },
  };
}
