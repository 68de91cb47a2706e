import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { dropScorePoints, fillScorePoints, scorePointsWork } from './score-points.ts';

/** How the score-points worker runs (docs/architecture.md, "Scores at scale"); `config.ts` reads them from the environment. */
export type ScorePointsSettings = {
  /** Run the worker in this app (`UPTAKE_SCORE_POINTS`, default on). */
  run: boolean;
  /** Time between looks for versions without points (ms, `UPTAKE_SCORE_POINTS_POLL_MS`, default 5000). */
  intervalMs: number;
};

export const DEFAULT_SCORE_POINTS_SETTINGS: ScorePointsSettings = { run: true, intervalMs: 5000 };

export type ScorePointsWorker = {
  start(): void;
  /** Stops after the day in hand; the next start resumes the fill. */
  close(): Promise<void>;
  /** Resolves when the current run (if any) is over: for tests and `close`. */
  idle(): Promise<void>;
};

/**
 * Fills the points of every active or shadow score model version that has none yet (a new
 * version, a new project, a database from before the points existed) and forgets those of
 * retired versions: at start, then every `intervalMs`. Until a version is ready its answers are
 * computed from the per-day counts, as exact and slower. Several instances may run it: a fill
 * keeps the rows another wrote.
 */
export function createScorePointsWorker(db: Kysely<Database>, settings: ScorePointsSettings, logger: Logger): ScorePointsWorker {
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      const work = await scorePointsWork(db);
      for (const { projectId, version } of work.drop) if (!closing) await dropScorePoints(db, projectId, version);
      for (const { projectId, version } of work.fill) {
        if (closing) return;
        const started = Date.now();
        if ((await fillScorePoints(db, projectId, version)) === 'ready') logger.info({ projectId, version, ms: Date.now() - started }, 'score points ready');
      }
    } catch (error) {
      // A database outage or a closing pool: the next run resumes.
      if (!closing) logger.warn({ err: error }, 'score points run failed; retried at the next run');
    }
  };
  const tick = () => {
    running = run().finally(() => {
      if (!closing) timer = setTimeout(tick, settings.intervalMs).unref();
    });
  };
  return {
    start: () => {
      if (!closing && timer === undefined) timer = setTimeout(tick, 0).unref();
    },
    idle: () => running,
    close: async () => {
      closing = true;
      clearTimeout(timer);
      await running;
    },
  };
}
