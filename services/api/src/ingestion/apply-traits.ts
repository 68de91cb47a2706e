import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { EventRow } from './prepare-batch.ts';

/** Traits of several calls for one id, folded in event-time order: the latest value of a trait wins. */
function foldTraits(rows: EventRow[], keyOf: (row: EventRow) => string | null): Map<string, Record<string, unknown>> {
  const folded = new Map<string, Record<string, unknown>>();
  for (const row of [...rows].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
    const key = keyOf(row);
    if (key) folded.set(key, { ...folded.get(key), ...row.properties });
  }
  return folded;
}

export async function applyIdentifies(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<void> {
  const traitsByUser = foldTraits(rows, (row) => row.userId);
  if (traitsByUser.size > 0) {
    await trx
      .insertInto('users')
      .values([...traitsByUser].map(([userId, traits]) => ({ project_id: projectId, user_id: userId, traits: JSON.stringify(traits), updated_at: now })))
      .onConflict((oc) =>
        oc.columns(['project_id', 'user_id']).doUpdateSet({
          traits: sql`users.traits || excluded.traits`,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
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

export async function applyAccountTraits(trx: Transaction<Database>, projectId: string, rows: EventRow[], now: Date): Promise<void> {
  const traitsByAccount = foldTraits(rows, (row) => row.accountId);
  if (traitsByAccount.size > 0) {
    await trx
      .insertInto('accounts')
      .values(
        [...traitsByAccount].map(([accountId, traits]) => ({
          project_id: projectId,
          account_id: accountId,
          traits: JSON.stringify(traits),
          seats: typeof traits['seats'] === 'number' ? traits['seats'] : null,
          onboarded_at: typeof traits['onboardedAt'] === 'string' ? new Date(traits['onboardedAt']) : null,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['project_id', 'account_id']).doUpdateSet({
          traits: sql`accounts.traits || excluded.traits`,
          seats: sql`coalesce(excluded.seats, accounts.seats)`,
          onboarded_at: sql`coalesce(excluded.onboarded_at, accounts.onboarded_at)`,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .execute();
  }
}
