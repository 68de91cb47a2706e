import { sql, type Kysely } from 'kysely';
import { acrossProjects } from '../db/across-projects.ts';
import type { Database } from '../db/database.ts';
import type { PendingDeletion } from '../db/tables/deletions.table.ts';
import { announceChanges } from '../derived/change-feed.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { DELETION_STEPS, type DeletionTarget } from './deletion-steps.ts';
import { pseudonymOf } from './pseudonym.ts';

/**
 * How deletions run (docs/privacy.md, "Deletion"). `worker`: this app runs them (UPTAKE_DELETION_WORKER,
 * default on; off, another instance sharing the database must). `batchRows`: rows one transaction
 * handles at most (UPTAKE_DELETION_BATCH_ROWS, 5000). `leaseMs`: how long a claimed deletion is
 * this worker's after its last batch; a crashed worker's deletion is taken over after it
 * (UPTAKE_DELETION_LEASE_MS, 30000). `pollMs`: how often unfinished deletions are looked for
 * (UPTAKE_DELETION_POLL_MS, 10000). `stopAfterBatches`: for crash tests only, the worker stops
 * dead after that many batches, leaving its deletion unfinished (UPTAKE_DELETION_STOP_AFTER_BATCHES).
 */
export type DeletionSettings = { worker: boolean; batchRows: number; leaseMs: number; pollMs: number; stopAfterBatches?: number | undefined };

export const DEFAULT_DELETION_SETTINGS: DeletionSettings = { worker: true, batchRows: 5000, leaseMs: 30_000, pollMs: 10_000 };

export type DeletionWorker = {
  /** Runs unfinished deletions now and then every pollMs (a no-op when the worker is off). */
  start(): void;
  /** Look for work now (a deletion was just requested). */
  nudge(): void;
  /** Resolves true once the deletion completed, or false after `ms`. */
  waitFor(deletionId: string, ms: number): Promise<boolean>;
  close(): Promise<void>;
};

type Log = { warn(object: object, message: string): void; info(object: object, message: string): void };
type Claimed = { projectId: string; deletionId: string };

/**
 * The worker that runs deletions in bounded batches. Each batch is one transaction that handles
 * at most `batchRows` rows of one step and records, with them, the rows counted and where the
 * step stands: a crash (or Postgres stopping) at any point loses at most the batch in flight,
 * and the next run (this app after a restart, or another instance once the lease ends) goes on
 * from the last commit with the same pseudonyms (the salt is kept until completion).
 */
export function createDeletionWorker(
  db: Kysely<Database>,
  settings: DeletionSettings,
  deps: { changeTracker: ChangeTracker; announceChanges: boolean; log: Log },
): DeletionWorker {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let halted = false;
  let batches = 0;
  let timer: NodeJS.Timeout | undefined;
  const waiters = new Map<string, Array<() => void>>();

  const nudge = () => {
    if (!settings.worker || closed || halted) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error: unknown) => deps.log.warn({ err: error }, 'a deletion batch failed; it is retried on the next poll'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          nudge();
        }
      });
  };

  async function drain(): Promise<void> {
    for (;;) {
      if (closed || halted) return;
      const claimed = await claim();
      if (!claimed) return;
      await runToCompletion(claimed);
    }
  }

  /**
   * The oldest unfinished deletion of a project whose earlier ones are done, not leased by another
   * worker. The projects with one due are found first (the only read across projects); each is
   * then claimed inside its project, because `FOR UPDATE SKIP LOCKED` works inside one shard on
   * Citus (docs/scale-out.md).
   */
  async function claim(): Promise<Claimed | undefined> {
    const projects = await acrossProjects(db, (trx) =>
      trx
        .selectFrom('deletions')
        .select('project_id')
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', sql<Date>`now()`)]))
        .groupBy('project_id')
        .orderBy(sql`min(requested_at)`)
        .execute(),
    );
    for (const { project_id: projectId } of projects) {
      const { rows } = await sql<{ project_id: string; deletion_id: string }>`
        update deletions set claimed_until = now() + ${settings.leaseMs} * interval '1 millisecond'
        where project_id = ${projectId} and deletion_id in (
          select d.deletion_id from deletions d
          where d.project_id = ${projectId} and d.status = 'running' and (d.claimed_until is null or d.claimed_until < now())
            and not exists (
              select 1 from deletions o where o.project_id = d.project_id and o.status = 'running'
                and (o.requested_at, o.deletion_id) < (d.requested_at, d.deletion_id))
          order by d.requested_at limit 1 for update skip locked)
        returning project_id, deletion_id`.execute(db);
      const row = rows[0];
      if (row) return { projectId: row.project_id, deletionId: row.deletion_id };
    }
    return undefined;
  }

  async function runToCompletion(claimed: Claimed): Promise<void> {
    for (;;) {
      if (closed || halted) return;
      const finished = await runBatch(claimed);
      if (finished) {
        deps.changeTracker.markProjectChanged(claimed.projectId);
        for (const resolve of waiters.get(claimed.deletionId) ?? []) resolve();
        waiters.delete(claimed.deletionId);
        deps.log.info({ projectId: claimed.projectId, deletionId: claimed.deletionId }, 'deletion completed');
        return;
      }
      batches++;
      // Between batches, let waiting requests have the connection (PGlite has one).
      await new Promise((resolve) => setImmediate(resolve));
      if (settings.stopAfterBatches !== undefined && batches >= settings.stopAfterBatches) {
        // The crash tests' hook: stop as a killed process would, lease held, deletion unfinished.
        halted = true;
        return;
      }
    }
  }

  /** One transaction: one batch of the current step, or the completion. Answers whether the deletion completed. */
  async function runBatch({ projectId, deletionId }: Claimed): Promise<boolean> {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('deletions')
        .select(['subject', 'status', 'pending', 'progress', 'rows'])
        .where('project_id', '=', projectId)
        .where('deletion_id', '=', deletionId)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.status === 'completed' || row.pending === null) return true;
      // Progress is kept by step name (the steps done, the one under way with its cursor), so a
      // deletion in flight across an upgrade that adds steps still runs every step. A progress
      // from before (a step index) starts again from the first step: steps done find nothing left.
      const done = row.progress.done ?? [];
      const step = DELETION_STEPS.find((candidate) => candidate.subject === row.subject && !done.includes(candidate.name));
      if (!step) {
        // Done: the id, the anonymousIds and the salt go in the commit that marks it completed.
        await trx
          .updateTable('deletions')
          .set({ status: 'completed', completed_at: new Date(), pending: null, progress: '{}', claimed_until: null })
          .where('project_id', '=', projectId)
          .where('deletion_id', '=', deletionId)
          .execute();
        if (deps.announceChanges) await announceChanges(trx, deps.changeTracker, [{ projectId }]);
        return true;
      }
      const cursor = row.progress.step === step.name ? row.progress.cursor : undefined;
      const outcome = await step.run(trx, targetOf(projectId, row.subject, row.pending), settings.batchRows, cursor);
      const rows = { ...row.rows, [step.table]: (row.rows[step.table] ?? 0) + outcome.rows };
      const progress = outcome.done
        ? { done: [...done, step.name] }
        : { done, step: step.name, ...(outcome.cursor === undefined ? {} : { cursor: outcome.cursor }) };
      await sql`
        update deletions set rows = ${JSON.stringify(rows)}::jsonb, progress = ${JSON.stringify(progress)}::jsonb,
          claimed_until = now() + ${settings.leaseMs} * interval '1 millisecond'
        where project_id = ${projectId} and deletion_id = ${deletionId}`.execute(trx);
      return false;
    });
  }

  return {
    start() {
      if (!settings.worker) return;
      nudge();
      timer = setInterval(nudge, settings.pollMs);
      timer.unref();
    },
    nudge,
    waitFor(deletionId, ms) {
      return new Promise<boolean>((resolve) => {
        const done = () => {
          clearTimeout(timeout);
          resolve(true);
        };
        const timeout = setTimeout(() => {
          waiters.set(deletionId, (waiters.get(deletionId) ?? []).filter((waiter) => waiter !== done));
          resolve(false);
        }, ms);
        timeout.unref();
        waiters.set(deletionId, [...(waiters.get(deletionId) ?? []), done]);
      });
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** The ids a deletion replaces and their pseudonyms, from what the request recorded. */
export function targetOf(projectId: string, subject: 'user' | 'account', pending: PendingDeletion): DeletionTarget {
  return {
    projectId,
    subject,
    id: pending.id,
    pseudonym: pseudonymOf(pending.salt, subject, pending.id),
    anonymous: { from: pending.anonymousIds, to: pending.anonymousIds.map((id) => pseudonymOf(pending.salt, 'anonymous', id)) },
    needles: [pending.id, ...pending.anonymousIds].map((id) => JSON.stringify(id)),
  };
}
