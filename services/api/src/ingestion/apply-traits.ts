import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { EventRow } from './prepare-batch.ts';

// Traits are a fold of every identify (per user) or group (per account) call in event order:
// timestamp, then receive time, then messageId. Calls mostly arrive in that order, so a row keeps
// `traits_at`, the latest call time folded into it, and new calls that are all later simply merge
// onto it (`||`), in the same single upsert as before. A call at or before `traits_at` (a browser
// replaying an old queue, a backfill) cannot be merged: a key it shares with a newer call must
// keep the newer value, and one only it sets must still apply. Then the row is refolded from the
// id's stored calls in the events table — exact, and rare. The upsert's ON CONFLICT locks the row
// even when its WHERE turns the merge down, and each statement reads a fresh snapshot, so the
// refold sees every call of a transaction that updated the row before us; a transaction still
// waiting on the lock finds our `traits_at` and refolds or merges in turn.

/** One identify or group call: of this batch, or read back from the events table. */
type TraitCall = { id: string; messageId: string; timestamp: Date; receivedAt: Date; properties: Record<string, unknown> | null };

/** What a run of calls says about one user or account. */
type FoldedTraits = {
  /** Latest value of each trait. */
  traits: Record<string, unknown>;
  /** Earliest and latest call time of the run. */
  firstAt: Date;
  lastAt: Date;
  /** The latest numeric `seats`: a call with `seats: null` leaves the number as it was. */
  seats: number | null;
  /** The latest string `onboardedAt`, likewise. */
  onboardedAt: string | null;
};

/** Code-point order, as Postgres's "C" collation sorts text. */
const codePointOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The order calls take effect in; messageIds are unique per project, so it is total. */
function callOrder(a: TraitCall, b: TraitCall): number {
  return a.timestamp.getTime() - b.timestamp.getTime() || a.receivedAt.getTime() - b.receivedAt.getTime() || codePointOrder(a.messageId, b.messageId);
}

/** Folds calls per id in call order: the latest value of each trait wins. */
function foldCalls(calls: TraitCall[]): Map<string, FoldedTraits> {
  const folded = new Map<string, FoldedTraits>();
  for (const call of [...calls].sort(callOrder)) {
    const traits = call.properties ?? {};
    const before = folded.get(call.id);
    folded.set(call.id, {
      traits: { ...before?.traits, ...traits },
      firstAt: before?.firstAt ?? call.timestamp,
      lastAt: call.timestamp,
      seats: typeof traits['seats'] === 'number' ? traits['seats'] : (before?.seats ?? null),
      onboardedAt: typeof traits['onboardedAt'] === 'string' ? traits['onboardedAt'] : (before?.onboardedAt ?? null),
    });
  }
  // Ids in one order in every transaction, so two batches lock shared rows without a cycle.
  return new Map([...folded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function callsOf(rows: EventRow[], idOf: (row: EventRow) => string | null): TraitCall[] {
  const calls: TraitCall[] = [];
  for (const row of rows) {
    const id = idOf(row);
    if (id) calls.push({ id, messageId: row.messageId, timestamp: row.timestamp, receivedAt: row.receivedAt, properties: row.properties });
  }
  return calls;
}

/** Every stored call of the given users (identify) or accounts (group), this transaction's included. */
async function storedCalls(trx: Transaction<Database>, projectId: string, type: 'identify' | 'group', ids: string[]): Promise<TraitCall[]> {
  const idColumn = type === 'identify' ? 'user_id' : 'account_id';
  const rows = await trx
    .selectFrom('events')
    .select((eb) => [eb.ref(idColumn).as('id'), 'message_id', 'timestamp', 'received_at', 'properties'])
    .where('project_id', '=', projectId)
    .where('type', '=', sql.lit(type))
    .where(idColumn, 'in', ids)
    .execute();
  return rows.map((row) => ({ id: row.id!, messageId: row.message_id, timestamp: row.timestamp, receivedAt: row.received_at, properties: row.properties }));
}

/** `id → earliest call time` as a jsonb literal: the upsert's WHERE looks each conflicting row up in it. */
function firstAtById(folded: Map<string, FoldedTraits>): string {
  return JSON.stringify(Object.fromEntries([...folded].map(([id, traits]) => [id, traits.firstAt.toISOString()])));
}

/** Ids of `folded` the upsert did not return: their rows hold a call at or after this batch's earliest. */
function notApplied(folded: Map<string, FoldedTraits>, applied: string[]): string[] {
  const done = new Set(applied);
  return [...folded.keys()].filter((id) => !done.has(id));
}

/**
 * `merge`: new users get the batch's traits; existing ones whose `traits_at` is before every call
 * of the batch get them merged on; the ids it returns are those done. `replace`: rows refolded
 * from all their calls.
 */
async function writeUsers(trx: Transaction<Database>, projectId: string, folded: Map<string, FoldedTraits>, now: Date, mode: 'merge' | 'replace'): Promise<string[]> {
  const written = await trx
    .insertInto('users')
    .values([...folded].map(([userId, f]) => ({ project_id: projectId, user_id: userId, traits: JSON.stringify(f.traits), traits_at: f.lastAt, updated_at: now })))
    .onConflict((oc) => {
      const update = oc.columns(['project_id', 'user_id']).doUpdateSet({
        traits: mode === 'merge' ? sql`users.traits || excluded.traits` : (eb) => eb.ref('excluded.traits'),
        traits_at: (eb) => eb.ref('excluded.traits_at'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      });
      return mode === 'merge' ? update.where(sql<boolean>`users.traits_at < (${firstAtById(folded)}::jsonb ->> excluded.user_id)::timestamptz`) : update;
    })
    .returning('user_id')
    .execute();
  return written.map((row) => row.user_id);
}

/** As `writeUsers`, with seats and onboarded_at: a batch without a value keeps the row's. */
async function writeAccounts(trx: Transaction<Database>, projectId: string, folded: Map<string, FoldedTraits>, now: Date, mode: 'merge' | 'replace'): Promise<string[]> {
  const written = await trx
    .insertInto('accounts')
    .values(
      [...folded].map(([accountId, f]) => ({
        project_id: projectId,
        account_id: accountId,
        traits: JSON.stringify(f.traits),
        traits_at: f.lastAt,
        seats: f.seats,
        onboarded_at: f.onboardedAt === null ? null : new Date(f.onboardedAt),
        updated_at: now,
      })),
    )
    .onConflict((oc) => {
      const merge = mode === 'merge';
      const update = oc.columns(['project_id', 'account_id']).doUpdateSet({
        traits: merge ? sql`accounts.traits || excluded.traits` : (eb) => eb.ref('excluded.traits'),
        traits_at: (eb) => eb.ref('excluded.traits_at'),
        seats: merge ? sql`coalesce(excluded.seats, accounts.seats)` : (eb) => eb.ref('excluded.seats'),
        onboarded_at: merge ? sql`coalesce(excluded.onboarded_at, accounts.onboarded_at)` : (eb) => eb.ref('excluded.onboarded_at'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      });
      return merge ? update.where(sql<boolean>`accounts.traits_at < (${firstAtById(folded)}::jsonb ->> excluded.account_id)::timestamptz`) : update;
    })
    .returning('account_id')
    .execute();
  return written.map((row) => row.account_id);
}

/**
 * Applies the batch's inserted identify calls: user traits (see the top of this file) and the
 * anonymousId → userId links.
 *
 * @example
 * await applyIdentifies(trx, projectId, inserted.filter((row) => row.type === 'identify'), now);
 */
export async function applyIdentifies(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<void> {
  const folded = foldCalls(callsOf(rows, (row) => row.userId));
  if (folded.size > 0) {
    const late = notApplied(folded, await writeUsers(trx, projectId, folded, now, 'merge'));
    if (late.length > 0) await writeUsers(trx, projectId, foldCalls(await storedCalls(trx, projectId, 'identify', late)), now, 'replace');
  }
  const links = new Map<string, string>();
  for (const row of rows) {
    if (row.userId && row.anonymousId && !links.has(row.anonymousId)) links.set(row.anonymousId, row.userId);
  }
  if (links.size > 0) {
    await trx
      .insertInto('identities')
      .values([...links].map(([anonymousId, userId]) => ({ project_id: projectId, anonymous_id: anonymousId, user_id: userId, linked_at: now })))
      .onConflict((oc) => oc.columns(['project_id', 'anonymous_id']).doNothing())
      .execute();
  }
}

/**
 * Applies the batch's inserted group calls to account traits, seats and onboarded_at (see the top
 * of this file).
 *
 * @example
 * await applyAccountTraits(trx, projectId, inserted.filter((row) => row.type === 'group'), now);
 */
export async function applyAccountTraits(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<void> {
  const folded = foldCalls(callsOf(rows, (row) => row.accountId));
  if (folded.size === 0) return;
  const late = notApplied(folded, await writeAccounts(trx, projectId, folded, now, 'merge'));
  if (late.length > 0) await writeAccounts(trx, projectId, foldCalls(await storedCalls(trx, projectId, 'group', late)), now, 'replace');
}
