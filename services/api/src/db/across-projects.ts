import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';

/**
 * Runs cross-project work: a read that is meant to scan every project's rows at once (which, on
 * Citus, fans out to every shard). Every request of one project stays on that project's shard
 * (docs/scale-out.md, "Every request on one shard"), and a deployment or a test may enforce it
 * with `citus.multi_task_query_log_level = 'error'`; this transaction turns that off for itself,
 * so the work that is allowed to cross projects is named in the code by calling this. On
 * Postgres and PGlite the setting is an unused placeholder, harmless.
 *
 * Callers, all of them background work (docs/scale-out.md lists them): the webhook dispatcher and
 * the deletion worker finding the projects with work due (each then claims inside one project),
 * and the score-points worker finding queued days and versions to fill (each then works inside
 * one project).
 *
 * @example
 * const due = await acrossProjects(db, (trx) => trx.selectFrom('deletions').select('project_id').distinct().execute());
 */
export async function acrossProjects<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local citus.multi_task_query_log_level = 'off'`.execute(trx);
    return work(trx);
  });
}
