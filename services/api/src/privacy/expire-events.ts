import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { today } from '../domain/days.ts';
import { firstKeptDay } from '../domain/retention.ts';

/** Rows one statement deletes or clears at most: each batch is its own short transaction. */
export const DEFAULT_RETENTION_BATCH = 5000;

export type ExpiryOptions = {
  now?: Date;
  batchSize?: number;
  /** Checked between batches: a closing app stops after the batch in hand (the next run goes on). */
  signal?: AbortSignal;
};

/** What one project's expiry did: rows per table, and the batches (statements) it took. */
export type ProjectExpiry = {
  projectId: string;
  firstKeptDay: string;
  eventsDeleted: number;
  callsCleared: number;
  warningsDeleted: number;
  batches: number;
};

/**
 * Expires the raw data of every project with a `retentionDays` (or the one given) as of `now`
 * (docs/privacy.md, "Retention"): track and page events before the first kept day are deleted,
 * identify and group calls before it lose their `context` and `extra` (their ids, time and traits
 * stay: current traits, traits as of a day, memberships and seats are made from them), and
 * ingestion warnings received before it are deleted. In batches of `batchSize` rows, each its own
 * transaction, so ingestion never waits on more than one batch; idempotent, so a run stopped
 * anywhere is finished by the next. The per-day derived tables are not touched: every figure of
 * past days stays.
 *
 * @example
 * await expireEvents(db, { batchSize: 5000 }); // every project with a retentionDays
 */
export async function expireEvents(db: Kysely<Database>, options: ExpiryOptions & { projectId?: string } = {}): Promise<ProjectExpiry[]> {
  let query = db.selectFrom('projects').select(['project_id', 'retention_days']).where('retention_days', 'is not', null).orderBy('project_id');
  if (options.projectId !== undefined) query = query.where('project_id', '=', options.projectId);
  const projects = await query.execute();
  const done: ProjectExpiry[] = [];
  for (const project of projects) {
    if (options.signal?.aborted) break;
    done.push(await expireProjectEvents(db, project.project_id, project.retention_days!, options));
  }
  return done;
}

/** One project's expiry with the given retention (see `expireEvents`). */
export async function expireProjectEvents(db: Kysely<Database>, projectId: string, retentionDays: number, options: ExpiryOptions = {}): Promise<ProjectExpiry> {
  const keep = firstKeptDay(today(options.now), retentionDays);
  const before = new Date(`${keep}T00:00:00.000Z`);
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH;
  const result: ProjectExpiry = { projectId, firstKeptDay: keep, eventsDeleted: 0, callsCleared: 0, warningsDeleted: 0, batches: 0 };
  // The mark goes first: from here on a rebuild keeps the per-day rows of the days before it,
  // even if this run stops halfway (it never moves back when retentionDays grows).
  await sql`
    update projects set events_expired_before = greatest(coalesce(events_expired_before, ${keep}::date), ${keep}::date)
    where project_id = ${projectId}`.execute(db);
  const inBatches = async (statement: () => Promise<bigint | undefined>): Promise<number> => {
    let total = 0;
    while (!options.signal?.aborted) {
      const rows = Number((await statement()) ?? 0n);
      result.batches++;
      total += rows;
      if (rows < batchSize) break;
    }
    return total;
  };
  result.eventsDeleted = await inBatches(
    async () =>
      (
        await sql`
          delete from events where project_id = ${projectId} and message_id in (
            select message_id from events
            where project_id = ${projectId} and type in ('track', 'page') and timestamp < ${before}
            limit ${batchSize})`.execute(db)
      ).numAffectedRows,
  );
  result.callsCleared = await inBatches(
    async () =>
      (
        await sql`
          update events set context = null, extra = null where project_id = ${projectId} and message_id in (
            select message_id from events
            where project_id = ${projectId} and type in ('identify', 'group') and timestamp < ${before}
              and (context is not null or extra is not null)
            limit ${batchSize})`.execute(db)
      ).numAffectedRows,
  );
  result.warningsDeleted = await inBatches(
    async () =>
      (
        await sql`
          delete from ingestion_warnings where project_id = ${projectId} and warning_id in (
            select warning_id from ingestion_warnings
            where project_id = ${projectId} and received_at < ${before}
            limit ${batchSize})`.execute(db)
      ).numAffectedRows,
  );
  return result;
}
