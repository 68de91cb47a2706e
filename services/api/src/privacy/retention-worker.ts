import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { DEFAULT_RETENTION_BATCH, expireEvents } from './expire-events.ts';

/** How the retention worker runs (docs/privacy.md, "Retention"); `config.ts` reads them from the environment. */
export type RetentionSettings = {
  /** Run the worker in this app (`UPTAKE_RETENTION`, default on under serve/start; absent in tests: off). */
  run: boolean;
  /** Rows per batch, each its own transaction (`UPTAKE_RETENTION_BATCH`, default 5000). */
  batchSize: number;
  /** Time between runs (ms): a day's expired rows go within this after UTC midnight. */
  intervalMs: number;
};

export const DEFAULT_RETENTION_SETTINGS: RetentionSettings = { run: false, batchSize: DEFAULT_RETENTION_BATCH, intervalMs: 60 * 60 * 1000 };

export const retentionSettings = (given: Partial<RetentionSettings> | undefined): RetentionSettings => ({ ...DEFAULT_RETENTION_SETTINGS, ...given });

export type RetentionWorker = {
  start(): void;
  /** Stops after the batch in hand; the next start finishes the rest. */
  close(): Promise<void>;
  /** Resolves when the current run (if any) is over: for tests and `close`. */
  idle(): Promise<void>;
};

/**
 * Expires every project's raw events as their `retentionDays` say, at start and then each
 * `intervalMs` (an hour: each day's expiry runs within the hour after UTC midnight). Several
 * instances sharing a Postgres may all run it: a row deleted by one is skipped by the others.
 */
export function createRetentionWorker(db: Kysely<Database>, settings: RetentionSettings, logger: Logger): RetentionWorker {
  const closing = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      const done = await expireEvents(db, { batchSize: settings.batchSize, signal: closing.signal });
      for (const project of done) {
        if (project.eventsDeleted + project.callsCleared + project.warningsDeleted > 0) logger.info(project, 'raw events expired');
      }
    } catch (error) {
      // A database outage: the next run finishes what this one could not.
      if (!closing.signal.aborted) logger.warn({ err: error }, 'retention run failed; retried at the next run');
    }
  };
  const tick = () => {
    running = run().finally(() => {
      if (!closing.signal.aborted) timer = setTimeout(tick, settings.intervalMs).unref();
    });
  };
  return {
    start: () => {
      if (!closing.signal.aborted && timer === undefined) timer = setTimeout(tick, 0).unref();
    },
    idle: () => running,
    close: async () => {
      closing.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
