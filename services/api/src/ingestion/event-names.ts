import { sql, type Kysely, type Transaction } from 'kysely';
import type { FieldError } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { EventRow } from './prepare-batch.ts';

/**
 * Distinct track event names a project may have (docs/protocol.md): past it, events with a new
 * name are refused; names already stored keep working. In line with the event-type limits of
 * common product-analytics tools; every name costs derived rows and a place in the dashboard.
 */
export const DEFAULT_MAX_EVENT_NAMES = 2000;

/** The error a refused event gets in the batch answer's `rejected` and in ingestion_warnings. */
export function eventNameLimitError(limit: number): FieldError {
  return {
    path: 'event',
    message: `event_name_limit: this project has reached its limit of ${limit} distinct event names; events with a new name are refused (names already sent keep working)`,
  };
}

/** Per store and project: the names known to be stored, and whether the limit was met. */
type Known = { names: Set<string>; full: boolean };
const knownByStore = new WeakMap<Kysely<Database>, Map<string, Promise<Known>>>();

function knownNames(db: Kysely<Database>, trx: Transaction<Database>, projectId: string, limit: number): Promise<Known> {
  let byProject = knownByStore.get(db);
  if (!byProject) knownByStore.set(db, (byProject = new Map()));
  let known = byProject.get(projectId);
  if (!known) {
    // At most `limit` names per project (plus those stored before a lower limit): bounded.
    // Read in the storing transaction: PGlite has one connection, which that transaction holds.
    known = trx
      .selectFrom('event_names')
      .select('event')
      .where('project_id', '=', projectId)
      .execute()
      .then((rows) => ({ names: new Set(rows.map((row) => row.event)), full: rows.length >= limit }));
    known.catch(() => byProject.delete(projectId));
    byProject.set(projectId, known);
  }
  return known;
}

const counted = (row: EventRow): row is EventRow & { event: string } => row.type === 'track' && row.event !== null && !row.event.startsWith('$');

export type NameAdmission = {
  /** Names refused: their events must not be stored. */
  refused: Set<string>;
  /** To call once the transaction committed: the admitted names become known to this process. */
  committed(): void;
};

/**
 * Registers the new track event names of `rows` within the project's limit, inside the storing
 * transaction. Names this process knows cost nothing (the hot path); new ones lock the project's
 * row in event_name_counts, so concurrent writers (any instance) admit at most `limit` in all.
 */
export async function admitEventNames(db: Kysely<Database>, trx: Transaction<Database>, projectId: string, rows: EventRow[], limit: number): Promise<NameAdmission> {
  const known = await knownNames(db, trx, projectId, limit);
  const unknown = [...new Set(rows.filter(counted).map((row) => row.event))].filter((name) => !known.names.has(name));
  if (unknown.length === 0) return { refused: new Set(), committed: () => {} };

  let stored: string[];
  let admitted: string[] = [];
  let full = known.full;
  if (known.full) {
    // The count never goes down: no room, only names another instance stored before may pass.
    stored = (await trx.selectFrom('event_names').select('event').where('project_id', '=', projectId).where('event', 'in', unknown).execute()).map((row) => row.event);
  } else {
    await sql`insert into event_name_counts (project_id, names) values (${projectId}, 0) on conflict (project_id) do nothing`.execute(trx);
    const { rows: counts } = await sql<{ names: number }>`select names from event_name_counts where project_id = ${projectId} for update`.execute(trx);
    const count = counts[0]?.names ?? 0;
    stored = (await trx.selectFrom('event_names').select('event').where('project_id', '=', projectId).where('event', 'in', unknown).execute()).map((row) => row.event);
    const storedSet = new Set(stored);
    const fresh = unknown.filter((name) => !storedSet.has(name));
    admitted = fresh.slice(0, Math.max(0, limit - count));
    if (admitted.length > 0) {
      await trx.insertInto('event_names').values(admitted.map((event) => ({ project_id: projectId, event }))).execute();
      await sql`update event_name_counts set names = names + ${admitted.length} where project_id = ${projectId}`.execute(trx);
    }
    full = count + admitted.length >= limit;
  }
  const passing = new Set([...stored, ...admitted]);
  return {
    refused: new Set(unknown.filter((name) => !passing.has(name))),
    committed: () => {
      for (const name of passing) known.names.add(name);
      if (full) known.full = true;
    },
  };
}

/** Whether a row is refused by an admission. */
export const isRefused = (row: EventRow, admission: NameAdmission) => admission.refused.size > 0 && counted(row) && admission.refused.has(row.event);
