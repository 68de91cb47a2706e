import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { announceChanges, type ProjectChange } from '../query/derived/change-feed.ts';
import { markProjectChanged } from '../query/derived/data-version.ts';
import { updateDerivedTables } from '../query/derived/update-derived.ts';
import { applyAccountTraits, applyIdentifies } from './apply-traits.ts';
import type { EventRow, IngestionWarning, PreparedBatch } from './prepare-batch.ts';

export type StoredBatch = { accepted: number; duplicates: number };

/** One request's prepared batch, waiting to be stored. */
export type StoreJob = { projectId: string; batch: PreparedBatch };

/** `announceChanges`: tell other instances sharing the database which figures changed (Postgres). */
export type StoreOptions = { announceChanges: boolean };

const PAYLOAD_LIMIT = 32 * 1024;

/**
 * Stores the batches of several requests in one transaction: new events (a messageId already
 * stored, or sent by an earlier request of the same transaction, is a duplicate and changes
 * nothing), what the new identify/group events say about users and accounts, the derived tables
 * of the query API (memberships included), and the ingestion warnings. It resolves only after the
 * commit, so a 200 sent after it means the events are durable. Each request gets its own counts.
 *
 * @example
 * const [{ accepted, duplicates }] = await storeBatches(db, [{ projectId, batch: prepareBatch(body, new Date()) }], { announceChanges: false });
 */
export async function storeBatches(db: Kysely<Database>, jobs: StoreJob[], options: StoreOptions): Promise<StoredBatch[]> {
  const outcomes = jobs.map((job) => ({ accepted: 0, duplicates: job.batch.repeatedInBatch }));
  if (jobs.every((job) => job.batch.rows.length === 0 && job.batch.warnings.length === 0)) return outcomes;

  // Projects in a fixed order: concurrent transactions then lock rows in the same order.
  const jobsByProject = new Map<string, number[]>();
  for (const [index, job] of jobs.entries()) jobsByProject.set(job.projectId, [...(jobsByProject.get(job.projectId) ?? []), index]);
  const projects = [...jobsByProject].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const changes: ProjectChange[] = [];

  await db.transaction().execute(async (trx) => {
    for (const [projectId, indexes] of projects) {
      const owner = new Map<string, number>();
      const rows: EventRow[] = [];
      for (const index of indexes) {
        for (const row of jobs[index]!.batch.rows) {
          if (owner.has(row.messageId)) outcomes[index]!.duplicates++;
          else {
            owner.set(row.messageId, index);
            rows.push(row);
          }
        }
      }
      const inserted = await insertNewEvents(trx, projectId, rows);
      const insertedIds = new Set(inserted.map((row) => row.messageId));
      for (const row of rows) {
        const outcome = outcomes[owner.get(row.messageId)!]!;
        if (insertedIds.has(row.messageId)) outcome.accepted++;
        else outcome.duplicates++;
      }
      const now = new Date(Math.max(...indexes.map((index) => latestReceivedAt(jobs[index]!.batch))));
      await applyIdentifies(trx, projectId, inserted.filter((row) => row.type === 'identify'), now);
      await applyAccountTraits(trx, projectId, inserted.filter((row) => row.type === 'group'), now);
      // The query API's derived tables and memberships, from the rows actually inserted (never a duplicate).
      const derived = await updateDerivedTables(trx, projectId, inserted);
      await insertWarnings(trx, projectId, indexes.flatMap((index) => jobs[index]!.batch.warnings));
      if (inserted.length > 0) changes.push(derived.everyDay ? { projectId } : { projectId, days: derived.days });
    }
    if (options.announceChanges) await announceChanges(trx, changes);
  });
  for (const change of changes) markProjectChanged(change.projectId, change.days);
  return outcomes;
}

function latestReceivedAt(batch: PreparedBatch): number {
  let latest = 0;
  for (const item of [...batch.rows, ...batch.warnings]) latest = Math.max(latest, item.receivedAt.getTime());
  return latest;
}

/**
 * One `INSERT … SELECT FROM json_to_recordset($1)`: the whole batch travels as one JSON text
 * parameter. Measured 2.5× faster than 13 array parameters through `unnest` (array literals are
 * costly to escape in node-pg and to parse in Postgres).
 */
async function insertNewEvents(trx: Transaction<Database>, projectId: string, rows: EventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  const input = JSON.stringify(
    rows.map((row) => ({
      m: row.messageId, t: row.type, e: row.event, u: row.userId, a: row.anonymousId, acc: row.accountId, ts: row.timestamp,
      sa: row.sentAt, p: row.properties, c: row.context, x: row.extra, cl: row.timestampClamped, g: row.messageIdGenerated, r: row.receivedAt,
    })),
  );
  const result = await sql<{ message_id: string }>`
    insert into events (project_id, message_id, type, event, user_id, anonymous_id, account_id, timestamp,
                        received_at, sent_at, properties, context, extra, timestamp_clamped, message_id_generated)
    select ${projectId}, m, t, e, u, a, acc, ts, r, sa, p, c, x, cl, g
    from json_to_recordset(${input}::json) as input(
      m text, t text, e text, u text, a text, acc text, ts timestamptz, sa timestamptz, p jsonb, c jsonb, x jsonb, cl boolean, g boolean, r timestamptz)
    on conflict (project_id, message_id) do nothing
    returning message_id`.execute(trx);
  const insertedIds = new Set(result.rows.map((row) => row.message_id));
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
