import { createHmac, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

/** Which field of an event an id is in: the same text as a userId and as an accountId are different ids. */
export type SuppressedKind = 'user' | 'anonymous' | 'account';

export type SuppressionCandidate = { kind: SuppressedKind; id: string };

/** HMAC-SHA-256 under the project's secret: without the secret, a hash names no one. */
export const suppressionHash = (secret: string, { kind, id }: SuppressionCandidate) =>
  createHmac('sha256', secret).update(`${kind}\u0000${id}`).digest('hex');

// A project's secret never changes once made: kept per store after the first read.
const secrets = new WeakMap<object, Map<string, string>>();

/** The project's suppression secret, made at its first deletion (in the caller's transaction). */
export async function ensureSuppressionSecret(trx: Kysely<Database>, projectId: string): Promise<string> {
  await trx
    .insertInto('privacy_keys')
    .values({ project_id: projectId, suppression_secret: randomBytes(32).toString('base64url') })
    .onConflict((conflict) => conflict.column('project_id').doNothing())
    .execute();
  const row = await trx.selectFrom('privacy_keys').select('suppression_secret').where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return row.suppression_secret;
}

/** Adds deleted ids to the project's suppression list (their hashes only). */
export async function suppress(trx: Kysely<Database>, projectId: string, candidates: SuppressionCandidate[]): Promise<void> {
  if (candidates.length === 0) return;
  const secret = await ensureSuppressionSecret(trx, projectId);
  await trx
    .insertInto('deletion_suppressions')
    .values(candidates.map((candidate) => ({ project_id: projectId, key_hash: suppressionHash(secret, candidate) })))
    .onConflict((conflict) => conflict.columns(['project_id', 'key_hash']).doNothing())
    .execute();
}

/**
 * Which of the candidates are deleted ids, as `kind\0id`. A project that never deleted anyone
 * costs one primary-key lookup (it has no secret); after that the secret is cached and the
 * batch's distinct ids cost one indexed lookup.
 *
 * @example
 * const deleted = await suppressedIds(db, trx, projectId, [{ kind: 'user', id: 'u1' }]);
 * deleted.has('user\u0000u1');
 */
export async function suppressedIds(store: object, trx: Kysely<Database>, projectId: string, candidates: SuppressionCandidate[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (candidates.length === 0) return found;
  let cached = secrets.get(store);
  if (!cached) secrets.set(store, (cached = new Map()));
  let secret = cached.get(projectId);
  if (secret === undefined) {
    const row = await trx.selectFrom('privacy_keys').select('suppression_secret').where('project_id', '=', projectId).executeTakeFirst();
    if (!row) return found;
    secret = row.suppression_secret;
    cached.set(projectId, secret);
  }
  const byHash = new Map<string, string>();
  for (const candidate of candidates) byHash.set(suppressionHash(secret, candidate), `${candidate.kind}\u0000${candidate.id}`);
  const { rows } = await sql<{ key_hash: string }>`
    select key_hash from deletion_suppressions where project_id = ${projectId} and key_hash = any(${[...byHash.keys()]}::text[])`.execute(trx);
  for (const row of rows) found.add(byHash.get(row.key_hash)!);
  return found;
}
