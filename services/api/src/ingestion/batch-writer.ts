import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { isStorageUnavailable } from '../http/errors.ts';
import type { GroupCommitMetrics } from '../metrics/metrics.ts';
import type { PreparedBatch } from './prepare-batch.ts';
import { storeBatches, type StoreJob, type StoredBatch, type StoreOptions } from './store-batch.ts';

export type BatchWriter = {
  /** Stores one request's batch; resolves after the commit that holds it. */
  write(projectId: string, batch: PreparedBatch): Promise<StoredBatch>;
};

type Pending = StoreJob & { events: number; resolve(outcome: StoredBatch): void; reject(error: unknown): void };

/**
 * Group commit across requests: at most `writers` transactions run at once, and each takes
 * every batch that queued up meanwhile (up to `maxEvents`). Under load that turns many
 * 100-event transactions into a few 1000-event ones — measured 1.75× the throughput on
 * Postgres — while an idle service still commits a lone request at once.
 *
 * @example
 * const writer = createBatchWriter(db, { writers: 2, maxEvents: 1000, changeTracker, announceChanges: true });
 * const { accepted, duplicates } = await writer.write(projectId, prepareBatch(body, new Date()));
 */
export function createBatchWriter(db: Kysely<Database>, options: StoreOptions & { writers: number; maxEvents: number; metrics?: GroupCommitMetrics | undefined }): BatchWriter {
  const queue: Pending[] = [];
  let queuedEvents = 0;
  let running = 0;
  const { metrics } = options;

  const pump = () => {
    while (running < options.writers && queue.length > 0) {
      const group = [queue.shift()!];
      let events = group[0]!.events;
      while (queue.length > 0 && events + queue[0]!.events <= options.maxEvents) {
        events += queue[0]!.events;
        group.push(queue.shift()!);
      }
      queuedEvents -= events;
      metrics?.queued(queue.length, queuedEvents);
      running++;
      commit(group).finally(() => {
        running--;
        pump();
      });
    }
  };

  const commit = async (group: Pending[]) => {
    const started = performance.now();
    const ended = (ok: boolean) =>
      metrics?.committed(group.length, group.reduce((sum, job) => sum + job.events, 0), (performance.now() - started) / 1000, ok);
    try {
      const outcomes = await storeBatches(db, group, options);
      ended(true);
      group.forEach((job, index) => job.resolve(outcomes[index]!));
    } catch (error) {
      ended(false);
      // An outage fails every request alike (each is retried by its sender). Any other error
      // may come from one request's data: store the others alone so it cannot fail them.
      if (group.length === 1 || isStorageUnavailable(error)) group.forEach((job) => job.reject(error));
      else await Promise.all(group.map((job) => commit([job])));
    }
  };

  return {
    write(projectId, batch) {
      return new Promise((resolve, reject) => {
        const events = batch.rows.length + batch.warnings.length;
        queue.push({ projectId, batch, events, resolve, reject });
        queuedEvents += events;
        metrics?.queued(queue.length, queuedEvents);
        pump();
      });
    },
  };
}
