import { LIMITS, type FieldError } from '@uptake/protocol';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { TraitStamp, TraitStamps } from '../db/tables/users.table.ts';
import { seatsOf } from '../domain/seats.ts';
import type { EventRow } from './prepare-batch.ts';

// Traits are a fold of every identify (per user) or group (per account) call in call order:
// timestamp, then receive time, then messageId (docs/api.md, Definitions). Calls mostly arrive in
// that order, but not always (a browser replaying an old queue, a backfill), so each row keeps,
// per trait key, the stamp of the call that set its value (`trait_stamps`), and for accounts the
// stamps of the latest numeric `seats` and string `onboardedAt`. A call then merges key by key,
// in any arrival order: a key takes the call's value only if its stamp is older. That costs the
// keys of the call plus the row, which the caps bound, and never the id's stored history.
//
// The caps (`LIMITS.maxTraitKeys`, `LIMITS.maxTraitBytes`, docs/protocol.md, Limits) hold on the
// merged row: a call that would take it past one is refused, named in the batch answer's
// `rejected`, and not stored. The rows are locked first (an upsert that creates the missing ones
// empty), so two batches racing on one user apply one after the other and cannot pass a cap
// together.

/** One identify or group call of this batch, with the id it speaks about. */
type TraitCall = { id: string; row: EventRow; stamp: TraitStamp };

/** A call the caps refused: not stored, reported in the batch answer. */
export type RefusedCall = { row: EventRow; error: FieldError };

type Kind = 'user' | 'account';

/** A user's or account's traits while the batch is merged onto it. */
type TraitState = {
  values: Map<string, unknown>;
  stamps: Map<string, TraitStamp>;
  /** Sum of `entryBytes` over `values`. */
  entryBytes: number;
  traitsAt: Date | null;
  seats: { value: number | null; stamp: TraitStamp | null };
  onboardedAt: { value: Date | null; stamp: TraitStamp | null };
  /** Whether a call of this batch was merged (the row is then written). */
  changed: boolean;
};

/** Code-point order, as Postgres's "C" collation sorts text. */
const codePointOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The order calls take effect in; messageIds are unique per project, so it is total. */
function stampOrder(a: TraitStamp, b: TraitStamp): number {
  return a[0] - b[0] || a[1] - b[1] || codePointOrder(a[2], b[2]);
}

/** Bytes one key adds to the JSON text of the traits: `"key":value,`. */
function entryBytes(key: string, value: unknown): number {
  return Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value) ?? 'null') + 2;
}

function emptyState(): TraitState {
  return { values: new Map(), stamps: new Map(), entryBytes: 0, traitsAt: null, seats: { value: null, stamp: null }, onboardedAt: { value: null, stamp: null }, changed: false };
}

type StoredRow = { id: string; traits: Record<string, unknown>; trait_stamps: TraitStamps; traits_at: Date; seats?: number | null; onboarded_at?: Date | null };

function stateOf(row: StoredRow): TraitState {
  const state = emptyState();
  for (const [key, value] of Object.entries(row.traits)) {
    state.values.set(key, value);
    state.entryBytes += entryBytes(key, value);
  }
  for (const [key, stamp] of Object.entries(row.trait_stamps.k ?? {})) state.stamps.set(key, stamp);
  state.traitsAt = row.traits_at;
  state.seats = { value: row.seats ?? null, stamp: row.trait_stamps.seats ?? null };
  state.onboardedAt = { value: row.onboarded_at ?? null, stamp: row.trait_stamps.onboardedAt ?? null };
  return state;
}

function isNewer(stamp: TraitStamp, than: TraitStamp | null | undefined): boolean {
  return !than || stampOrder(stamp, than) > 0;
}

/**
 * Merges one call onto the state key by key, unless the merged traits would pass a cap: then the
 * state is left as it was and the refusal is returned.
 */
function mergeCall(state: TraitState, kind: Kind, call: TraitCall): FieldError | null {
  const traits = call.row.properties ?? {};
  const taken: Array<[string, unknown]> = [];
  let keys = state.values.size;
  let bytes = state.entryBytes;
  for (const [key, value] of Object.entries(traits)) {
    if (!isNewer(call.stamp, state.stamps.get(key))) continue;
    if (state.values.has(key)) bytes -= entryBytes(key, state.values.get(key));
    else keys++;
    bytes += entryBytes(key, value);
    taken.push([key, value]);
  }
  // UTF-8 bytes of the merged traits as JSON text: the braces and entries, less the last comma.
  const merged = keys === 0 ? 2 : 1 + bytes;
  if (keys > LIMITS.maxTraitKeys) {
    return { path: 'traits', message: `the ${kind}'s merged traits would hold ${keys} keys; at most ${LIMITS.maxTraitKeys} per ${kind} (maxTraitKeys)` };
  }
  if (merged > LIMITS.maxTraitBytes) {
    return { path: 'traits', message: `the ${kind}'s merged traits would be ${merged} bytes of JSON; at most ${LIMITS.maxTraitBytes} per ${kind} (maxTraitBytes)` };
  }
  for (const [key, value] of taken) {
    state.values.set(key, value);
    state.stamps.set(key, call.stamp);
  }
  state.entryBytes = bytes;
  if (state.traitsAt === null || call.row.timestamp > state.traitsAt) state.traitsAt = call.row.timestamp;
  const { onboardedAt } = traits;
  // The stored column keeps the latest known seats: a call whose seats are unknown leaves it.
  const seats = seatsOf(traits);
  if (seats !== null && isNewer(call.stamp, state.seats.stamp)) state.seats = { value: seats, stamp: call.stamp };
  if (typeof onboardedAt === 'string' && isNewer(call.stamp, state.onboardedAt.stamp)) state.onboardedAt = { value: new Date(onboardedAt), stamp: call.stamp };
  state.changed = true;
  return null;
}

function stampsOf(state: TraitState): TraitStamps {
  return {
    ...(state.stamps.size > 0 ? { k: Object.fromEntries(state.stamps) } : {}),
    ...(state.seats.stamp ? { seats: state.seats.stamp } : {}),
    ...(state.onboardedAt.stamp ? { onboardedAt: state.onboardedAt.stamp } : {}),
  };
}

function callsOf(rows: EventRow[], idOf: (row: EventRow) => string | null): Map<string, TraitCall[]> {
  const byId = new Map<string, TraitCall[]>();
  for (const row of rows) {
    const id = idOf(row);
    if (!id) continue;
    const call: TraitCall = { id, row, stamp: [row.timestamp.getTime(), row.receivedAt.getTime(), row.messageId] };
    const calls = byId.get(id);
    if (calls) calls.push(call);
    else byId.set(id, [call]);
  }
  return byId;
}

/** A row as locked (or created empty) for the batch; `created`: it did not exist. */
type LockedRow = StoredRow & { created: boolean };

/** Marks the rows `lock` creates: no stored row has this updated_at. */
const PLACEHOLDER_AT = new Date(0);

/** What one table needs: lock (or create) its rows, write them, remove rows no call was let into. */
type TraitTable = {
  kind: Kind;
  lock(trx: Transaction<Database>, projectId: string, ids: string[]): Promise<LockedRow[]>;
  write(trx: Transaction<Database>, projectId: string, states: Array<[string, TraitState]>, now: Date): Promise<void>;
  remove(trx: Transaction<Database>, projectId: string, ids: string[]): Promise<void>;
};

const usersTable: TraitTable = {
  kind: 'user',
  async lock(trx, projectId, ids) {
    const rows = await trx
      .insertInto('users')
      .values(ids.map((userId) => ({ project_id: projectId, user_id: userId, traits: '{}', trait_stamps: '{}', traits_at: PLACEHOLDER_AT, updated_at: PLACEHOLDER_AT })))
      .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ updated_at: (eb) => eb.ref('users.updated_at') }))
      .returning(['user_id as id', 'traits', 'trait_stamps', 'traits_at', 'updated_at'])
      .execute();
    return rows.map(({ updated_at, ...row }) => ({ ...row, created: updated_at.getTime() === PLACEHOLDER_AT.getTime() }));
  },
  async write(trx, projectId, states, now) {
    await trx
      .insertInto('users')
      .values(
        states.map(([userId, state]) => ({
          project_id: projectId,
          user_id: userId,
          traits: JSON.stringify(Object.fromEntries(state.values)),
          trait_stamps: JSON.stringify(stampsOf(state)),
          traits_at: state.traitsAt!,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['project_id', 'user_id']).doUpdateSet({
          traits: (eb) => eb.ref('excluded.traits'),
          trait_stamps: (eb) => eb.ref('excluded.trait_stamps'),
          traits_at: (eb) => eb.ref('excluded.traits_at'),
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
  },
  async remove(trx, projectId, ids) {
    await trx.deleteFrom('users').where('project_id', '=', projectId).where('user_id', 'in', ids).execute();
  },
};

const accountsTable: TraitTable = {
  kind: 'account',
  async lock(trx, projectId, ids) {
    const rows = await trx
      .insertInto('accounts')
      .values(
        ids.map((accountId) => ({ project_id: projectId, account_id: accountId, traits: '{}', trait_stamps: '{}', traits_at: PLACEHOLDER_AT, seats: null, onboarded_at: null, updated_at: PLACEHOLDER_AT })),
      )
      .onConflict((oc) => oc.columns(['project_id', 'account_id']).doUpdateSet({ updated_at: (eb) => eb.ref('accounts.updated_at') }))
      .returning(['account_id as id', 'traits', 'trait_stamps', 'traits_at', 'seats', 'onboarded_at', 'updated_at'])
      .execute();
    return rows.map(({ updated_at, ...row }) => ({ ...row, created: updated_at.getTime() === PLACEHOLDER_AT.getTime() }));
  },
  async write(trx, projectId, states, now) {
    await trx
      .insertInto('accounts')
      .values(
        states.map(([accountId, state]) => ({
          project_id: projectId,
          account_id: accountId,
          traits: JSON.stringify(Object.fromEntries(state.values)),
          trait_stamps: JSON.stringify(stampsOf(state)),
          traits_at: state.traitsAt!,
          seats: state.seats.value,
          onboarded_at: state.onboardedAt.value,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['project_id', 'account_id']).doUpdateSet({
          traits: (eb) => eb.ref('excluded.traits'),
          trait_stamps: (eb) => eb.ref('excluded.trait_stamps'),
          traits_at: (eb) => eb.ref('excluded.traits_at'),
          seats: (eb) => eb.ref('excluded.seats'),
          onboarded_at: (eb) => eb.ref('excluded.onboarded_at'),
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
  },
  async remove(trx, projectId, ids) {
    await trx.deleteFrom('accounts').where('project_id', '=', projectId).where('account_id', 'in', ids).execute();
  },
};

/** Merges the calls onto their rows (see the top of this file); returns the calls the caps refused. */
async function applyCalls(trx: Transaction<Database>, projectId: string, table: TraitTable, byId: Map<string, TraitCall[]>, now: Date): Promise<RefusedCall[]> {
  if (byId.size === 0) return [];
  // Ids in one order in every transaction, and locked or created in one statement, so two
  // batches lock shared rows without a cycle.
  const ids = [...byId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const locked = new Map((await table.lock(trx, projectId, ids)).map((row) => [row.id, row]));
  const refused: RefusedCall[] = [];
  const changed: Array<[string, TraitState]> = [];
  const unused: string[] = [];
  for (const id of ids) {
    const row = locked.get(id)!;
    const state = row.created ? emptyState() : stateOf(row);
    for (const call of [...byId.get(id)!].sort((a, b) => stampOrder(a.stamp, b.stamp))) {
      const error = mergeCall(state, table.kind, call);
      if (error) refused.push({ row: call.row, error });
    }
    if (state.changed) changed.push([id, state]);
    else if (row.created) unused.push(id);
  }
  if (changed.length > 0) await table.write(trx, projectId, changed, now);
  // Every call of a new id refused: it stays unknown, as if they were never sent.
  if (unused.length > 0) await table.remove(trx, projectId, unused);
  return refused;
}

/**
 * Applies the batch's inserted identify calls: user traits (see the top of this file) and the
 * anonymousId → userId links of the calls the caps let through. Returns the calls they refused,
 * which the caller removes from the batch.
 *
 * @example
 * const refused = await applyIdentifies(trx, projectId, inserted.filter((row) => row.type === 'identify'), now);
 */
export async function applyIdentifies(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<RefusedCall[]> {
  const refused = await applyCalls(trx, projectId, usersTable, callsOf(rows, (row) => row.userId), now);
  const refusedIds = new Set(refused.map((call) => call.row.messageId));
  const links = new Map<string, string>();
  for (const row of rows) {
    if (row.userId && row.anonymousId && !links.has(row.anonymousId) && !refusedIds.has(row.messageId)) links.set(row.anonymousId, row.userId);
  }
  if (links.size > 0) {
    await trx
      .insertInto('identities')
      .values([...links].map(([anonymousId, userId]) => ({ project_id: projectId, anonymous_id: anonymousId, user_id: userId, linked_at: now })))
      .onConflict((oc) => oc.columns(['project_id', 'anonymous_id']).doNothing())
      .execute();
  }
  return refused;
}

/**
 * Applies the batch's inserted group calls to account traits, seats and onboarded_at (see the top
 * of this file). Returns the calls the caps refused.
 *
 * @example
 * const refused = await applyAccountTraits(trx, projectId, inserted.filter((row) => row.type === 'group'), now);
 */
export function applyAccountTraits(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<RefusedCall[]> {
  return applyCalls(trx, projectId, accountsTable, callsOf(rows, (row) => row.accountId), now);
}

/** Deletes refused calls from the events the transaction inserted (they were stored first, to find duplicates). */
export async function deleteRefused(trx: Transaction<Database>, projectId: string, refused: RefusedCall[]): Promise<void> {
  if (refused.length === 0) return;
  await sql`delete from events where project_id = ${projectId} and message_id = any(${refused.map((call) => call.row.messageId)}::text[])`.execute(trx);
}
