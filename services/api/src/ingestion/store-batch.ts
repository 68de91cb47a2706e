import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { announceChanges, type ProjectChange } from '../derived/change-feed.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { updateDerivedTables } from '../derived/update-derived.ts';
import type { RejectedEvent } from '@uptake/protocol';
import { applyAccountTraits, applyIdentifies, deleteRefused, type RefusedCall } from './apply-traits.ts';
import { admitEventNames, DEFAULT_MAX_EVENT_NAMES, eventNameLimitError, isRefused, type NameAdmission } from './event-names.ts';
import { deletedIdError, suppressionCandidates } from './deleted-ids.ts';
import type { EventRow, IngestionWarning, PreparedBatch } from './prepare-batch.ts';
import { suppressedIds } from '../privacy/suppression.ts';

/**
 * `rejected`: events refused while storing: a new event name past the project's limit, or an
 * identify/group call past the merged-trait caps (docs/protocol.md, Limits).
 */
export type StoredBatch = { accepted: number; duplicates: number; rejected: RejectedEvent[] };

/** One request's prepared batch, waiting to be stored. */
export type StoreJob = { projectId: string; batch: PreparedBatch };

/**
 * `changeTracker`: the app's tracker, told after the commit which projects and days changed.
 * `announceChanges`: tell other instances sharing the database which figures changed (Postgres).
 * `maxEventNames`: distinct track event names per project (default DEFAULT_MAX_EVENT_NAMES).
 */
export type StoreOptions = { changeTracker: ChangeTracker; announceChanges: boolean; maxEventNames?: number | undefined };

const PAYLOAD_LIMIT = 32 * 1024;

/**
 * Stores the batches of several requests in one transaction: new events (a messageId already
 * stored, or sent by an earlier request of the same transaction, is a duplicate and changes
 * nothing), what the new identify/group events say about users and accounts, the derived tables
 * of the query API (memberships included), and the ingestion warnings. It resolves only after the
 * commit, so a 200 sent after it means the events are durable. Each request gets its own counts.
 *
 * @example
 * const [{ accepted, duplicates }] = await storeBatches(db, [{ projectId, batch: prepareBatch(body, new Date()) }], { changeTracker, announceChanges: false });
 */
export async function storeBatches(db: Kysely<Database>, jobs: StoreJob[], options: StoreOptions): Promise<StoredBatch[]> {
  if (jobs.every((job) => job.batch.rows.length === 0 && job.batch.warnings.length === 0)) {
    return jobs.map((job) => ({ accepted: 0, duplicates: job.batch.repeatedInBatch, rejected: [] }));
  }
  // Stored messageIds are rare (a sender's retries), so the events go in with a plain INSERT:
  // ON CONFLICT probes the primary key once more per row (a fifth of the insert's time on PGlite).
  // A stored messageId (or one a concurrent transaction stores first) then fails the whole
  // transaction, which runs again skipping the stored ones; while retries keep coming, the next
  // transactions skip them from the start.
  const careful = carefulTransactions.get(db) ?? 0;
  if (careful > 0) {
    carefulTransactions.set(db, careful - 1);
    return await storeInTransaction(db, jobs, options, 'skip stored');
  }
  try {
    return await storeInTransaction(db, jobs, options, 'plain');
  } catch (error) {
    if (!isStoredMessageId(error)) throw error;
    return await storeInTransaction(db, jobs, options, 'skip stored');
  }
}

/** Per store: how many more transactions skip stored messageIds from the start (after one was met). */
const carefulTransactions = new WeakMap<Kysely<Database>, number>();
const CAREFUL_AFTER_DUPLICATE = 20;

async function storeInTransaction(db: Kysely<Database>, jobs: StoreJob[], options: StoreOptions, mode: InsertMode): Promise<StoredBatch[]> {
  const outcomes: StoredBatch[] = jobs.map((job) => ({ accepted: 0, duplicates: job.batch.repeatedInBatch, rejected: [] }));
  const admissions: NameAdmission[] = [];
  const nameLimit = options.maxEventNames ?? DEFAULT_MAX_EVENT_NAMES;

  // Projects in a fixed order: concurrent transactions then lock rows in the same order.
  const jobsByProject = new Map<string, number[]>();
  for (const [index, job] of jobs.entries()) jobsByProject.set(job.projectId, [...(jobsByProject.get(job.projectId) ?? []), index]);
  const projects = [...jobsByProject].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const changes: ProjectChange[] = [];

  await db.transaction().execute(async (trx) => {
    for (const [projectId, indexes] of projects) {
      const owner = new Map<string, number>();
      let rows: EventRow[] = [];
      for (const index of indexes) {
        for (const row of jobs[index]!.batch.rows) {
          if (owner.has(row.messageId)) outcomes[index]!.duplicates++;
          else {
            owner.set(row.messageId, index);
            rows.push(row);
          }
        }
      }
      const refusedWarnings: IngestionWarning[] = [];
      // Ids deleted with suppression (docs/privacy.md): their events are refused, and what the
      // sender's events said is not kept in a warning either (it would name the person again).
      const refusedAsDeleted = new Set<string>();
      const suppressed = await suppressedIds(db, trx, projectId, suppressionCandidates(rows));
      if (suppressed.size > 0) {
        rows = rows.filter((row) => {
          const error = deletedIdError(row, suppressed);
          if (!error) return true;
          const jobIndex = owner.get(row.messageId)!;
          refusedAsDeleted.add(`${jobIndex}:${row.index}`);
          refusedWarnings.push(refuse(outcomes[jobIndex]!, { row, error }, { type: row.type, messageId: row.messageId }));
          return false;
        });
      }
      const admission = await admitEventNames(db, trx, projectId, rows, nameLimit);
      admissions.push(admission);
      if (admission.refused.size > 0) {
        const error = eventNameLimitError(nameLimit);
        rows = rows.filter((row) => {
          if (!isRefused(row, admission)) return true;
          refusedWarnings.push(refuse(outcomes[owner.get(row.messageId)!]!, { row, error }));
          return false;
        });
      }
      const inserted = await insertNewEvents(trx, projectId, rows, mode);
      // Every row inserted (the usual case): no set of ids to build.
      const insertedIds = inserted.length === rows.length ? undefined : new Set(inserted.map((row) => row.messageId));
      if (insertedIds) carefulTransactions.set(db, CAREFUL_AFTER_DUPLICATE);
      for (const row of rows) {
        const outcome = outcomes[owner.get(row.messageId)!]!;
        if (!insertedIds || insertedIds.has(row.messageId)) outcome.accepted++;
        else outcome.duplicates++;
      }
      const now = new Date(Math.max(...indexes.map((index) => latestReceivedAt(jobs[index]!.batch))));
      const refused = [
        ...(await applyIdentifies(trx, projectId, inserted.filter((row) => row.type === 'identify'), now)),
        ...(await applyAccountTraits(trx, projectId, inserted.filter((row) => row.type === 'group'), now)),
      ];
      const stored = await dropRefused(trx, projectId, inserted, refused);
      for (const call of refused) {
        const outcome = outcomes[owner.get(call.row.messageId)!]!;
        outcome.accepted--;
        refusedWarnings.push(refuse(outcome, call));
      }
      // The query API's derived tables and memberships, from the rows actually stored (never a duplicate).
      const derived = await updateDerivedTables(trx, projectId, stored);
      const jobWarnings = indexes.flatMap((index) => {
        const { warnings } = jobs[index]!.batch;
        return refusedAsDeleted.size === 0 ? warnings : warnings.filter((warning) => !refusedAsDeleted.has(`${index}:${warning.eventIndex}`));
      });
      await insertWarnings(trx, projectId, [...jobWarnings, ...refusedWarnings]);
      if (stored.length > 0) changes.push(derived.everyDay ? { projectId } : { projectId, days: derived.days });
    }
    if (options.announceChanges) await announceChanges(trx, options.changeTracker, changes);
  });
  for (const admission of admissions) admission.committed();
  for (const change of changes) options.changeTracker.markProjectChanged(change.projectId, change.days);
  return outcomes;
}

/** Takes the calls the trait caps refused out of the transaction's events; answers the events left. */
async function dropRefused(trx: Transaction<Database>, projectId: string, inserted: EventRow[], refused: RefusedCall[]): Promise<EventRow[]> {
  if (refused.length === 0) return inserted;
  await deleteRefused(trx, projectId, refused);
  const ids = new Set(refused.map((call) => call.row.messageId));
  return inserted.filter((row) => !ids.has(row.messageId));
}

/** Lists a refused event in its request's `rejected` and answers its ingestion warning. */
function refuse(outcome: StoredBatch, { row, error }: RefusedCall, payload: unknown = refusedPayload(row)): IngestionWarning {
  outcome.rejected.push({ index: row.index, ...(row.messageIdGenerated ? {} : { messageId: row.messageId }), errors: [error] });
  return { kind: 'rejected', messageId: row.messageId, eventIndex: row.index, errors: [error], payload, receivedAt: row.receivedAt };
}

/** `plain`: any stored messageId fails the statement; `skip stored`: stored ones are left out. */
type InsertMode = 'plain' | 'skip stored';

/**
 * A unique violation of the events' primary key: a messageId already stored (or being stored).
 * On Citus the violation happens in a shard, whose constraint carries the shard's number
 * (`events_pkey_102009`), and an INSERT … SELECT passes it on as an internal error (XX000) with
 * only the message naming the constraint.
 */
function isStoredMessageId(error: unknown): boolean {
  const { code, constraint, message } = (error ?? {}) as { code?: unknown; constraint?: unknown; message?: unknown };
  if (code === '23505') return typeof constraint === 'string' && EVENTS_KEY.test(constraint);
  return code === 'XX000' && typeof message === 'string' && SHARD_KEY_VIOLATION.test(message);
}
const EVENTS_KEY = /^events_pkey(_\d+)?$/;
const SHARD_KEY_VIOLATION = /^duplicate key value violates unique constraint "events_pkey_\d+"$/;

/** What a refused event said, for its ingestion warning, in the wire's field names (never its context). */
function refusedPayload(row: EventRow): Record<string, unknown> {
  const carriesTraits = row.type === 'identify' || row.type === 'group';
  return {
    type: row.type,
    ...(row.event === null ? {} : { event: row.event }),
    ...(row.messageIdGenerated ? {} : { messageId: row.messageId }),
    ...(row.userId === null ? {} : { userId: row.userId }),
    ...(row.anonymousId === null ? {} : { anonymousId: row.anonymousId }),
    ...(row.accountId === null ? {} : { [row.type === 'group' ? 'groupId' : 'accountId']: row.accountId }),
    timestamp: row.timestamp.toISOString(),
    ...(row.properties === null ? {} : { [carriesTraits ? 'traits' : 'properties']: row.properties }),
  };
}

function latestReceivedAt(batch: PreparedBatch): number {
  let latest = 0;
  for (const item of [...batch.rows, ...batch.warnings]) latest = Math.max(latest, item.receivedAt.getTime());
  return latest;
}

/**
 * One `INSERT … SELECT FROM json_to_recordset($1)`: the whole batch travels as one JSON text
 * parameter. Measured 2.5× faster than 13 array parameters through `unnest` (array literals are
 * costly to escape in node-pg and to parse in Postgres). The instants travel once each in a
 * second parameter (`timestamptz[]`) and the rows hold their positions: sentAt and receivedAt are
 * the same for a whole request, and parsing a timestamptz was a third of json_to_recordset's time
 * on PGlite. Absent keys are null (false for the flags), so nulls are left out of the text. Skipping
 * stored messageIds, the statement answers how many rows it inserted, and which only when some
 * were stored (rare: retries), instead of one result row per event.
 */
async function insertNewEvents(trx: Transaction<Database>, projectId: string, rows: EventRow[], mode: InsertMode): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  const instants: string[] = [];
  const positions = new Map<number, number>();
  const position = (time: Date) => {
    const ms = time.getTime();
    let found = positions.get(ms);
    if (found === undefined) {
      found = instants.push(time.toISOString());
      positions.set(ms, found);
    }
    return found;
  };
  const records = rows.map((row) => {
    const record: Record<string, unknown> = { m: row.messageId, t: row.type, ts: position(row.timestamp), r: position(row.receivedAt) };
    if (row.event !== null) record['e'] = row.event;
    if (row.userId !== null) record['u'] = row.userId;
    if (row.anonymousId !== null) record['a'] = row.anonymousId;
    if (row.accountId !== null) record['acc'] = row.accountId;
    if (row.sentAt !== null) record['sa'] = position(row.sentAt);
    if (row.properties !== null) record['p'] = row.properties;
    if (row.context !== null) record['c'] = row.context;
    if (row.extra !== null) record['x'] = row.extra;
    if (row.timestampClamped) record['cl'] = true;
    if (row.messageIdGenerated) record['g'] = true;
    if (row.userVerified) record['v'] = true;
    return record;
  });
  const insert = sql`
    insert into events (project_id, message_id, type, event, user_id, anonymous_id, account_id, timestamp,
                        received_at, sent_at, properties, context, extra, timestamp_clamped, message_id_generated, user_verified)
    select ${projectId}, m, t, e, u, a, acc, instants[ts], instants[r], instants[sa], p, c, x, coalesce(cl, false), coalesce(g, false), coalesce(v, false)
    from json_to_recordset(${JSON.stringify(records)}::json) as input(
      m text, t text, e text, u text, a text, acc text, ts int, sa int, p jsonb, c jsonb, x jsonb, cl boolean, g boolean, r int, v boolean),
      (select ${instants}::timestamptz[] as instants) times`;
  // Plain: it either inserts every row or fails.
  if (mode === 'plain') {
    await insert.execute(trx);
    return rows;
  }
  const result = await sql<{ inserted: number; ids: string[] | null }>`
    with inserted as (${insert} on conflict (project_id, message_id) do nothing returning message_id)
    select n as inserted, case when n < ${rows.length} then (select array_agg(message_id) from inserted) end as ids
    from (select count(*)::int as n from inserted) counted`.execute(trx);
  const { inserted, ids } = result.rows[0]!;
  if (inserted === rows.length) return rows;
  const insertedIds = new Set(ids ?? []);
  return rows.filter((row) => insertedIds.has(row.messageId));
}

async function insertWarnings(trx: Transaction<Database>, projectId: string, warnings: IngestionWarning[]): Promise<void> {
  if (warnings.length === 0) return;
  await trx
    .insertInto('ingestion_warnings')
    .values(
      warnings.map((warning) => ({
        project_id: projectId,
        received_at: warning.receivedAt,
        kind: warning.kind,
        message_id: warning.messageId,
        event_index: warning.eventIndex,
        errors: JSON.stringify(warning.errors),
        payload: payloadText(warning.payload),
      })),
    )
    .execute();
}

function payloadText(payload: unknown): string {
  try {
    return (JSON.stringify(payload) ?? 'undefined').slice(0, PAYLOAD_LIMIT);
  } catch {
    return '(not serialisable: nested too deep)';
  }
}
