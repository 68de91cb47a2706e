import { idParamSchema } from '@uptake/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DeletionSubjectKind } from '../db/tables/deletions.table.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { UsageError } from '../projects/project-commands.ts';
import { createDeletionWorker, type DeletionSettings } from './deletion-worker.ts';
import { deletionReceipt, requestDeletion, type DeletionReceipt } from './deletions.queries.ts';

/**
 * `uptake user delete <id>` / `uptake account delete <id>`: the same deletion as the API's,
 * run to completion by a worker in this process (servers on the same Postgres hear of the
 * changed figures through the change feed). Refuses an id the API would refuse.
 */
export async function deleteFromCommandLine(
  db: Kysely<Database>,
  projectId: string,
  subject: DeletionSubjectKind,
  id: string | undefined,
  options: { allowReturn: boolean; settings: DeletionSettings; changeTracker: ChangeTracker; announceChanges: boolean },
): Promise<DeletionReceipt> {
  if (id === undefined) throw new UsageError(`usage: uptake ${subject} delete <${subject}Id> [--allow-return] [--project <id>] [--json]`);
  const parsed = idParamSchema().safeParse(id);
  if (!parsed.success) throw new UsageError(`${subject}Id: ${parsed.error.issues[0]!.message}`);
  const deletionId = await requestDeletion(db, projectId, subject, id, options.allowReturn);
  const worker = createDeletionWorker(db, { ...options.settings, worker: true }, { changeTracker: options.changeTracker, announceChanges: options.announceChanges, log: { warn: () => {}, info: () => {} } });
  try {
    const completed = worker.waitFor(deletionId, 24 * 3_600_000);
    worker.start();
    await completed;
  } finally {
    await worker.close();
  }
  return (await deletionReceipt(db, projectId, deletionId))!;
}
