import type { KeyRotation } from '@uptake/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { KeyKind } from '../db/tables/projects.table.ts';
import { generateKey, hashSecretKey } from './keys.ts';


/**
 * Replaces one key of a project with a new one and returns the new key (shown this once: a
 * secret key is stored hashed). The old key keeps working for `overlapHours` (0: it stops at
 * once), so clients can move over without an outage; retired keys whose overlap ended are
 * deleted on the way. A project that does not exist → undefined.
 *
 * @example
 * const { key } = (await rotateKey(db, 'prj_…', 'secret', 24))!; // the old secret key works for 24 h more
 */
export async function rotateKey(db: Kysely<Database>, projectId: string, kind: KeyKind, overlapHours: number): Promise<KeyRotation | undefined> {
  const key = generateKey(kind);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + overlapHours * 3_600_000);
  return db.transaction().execute(async (tx) => {
    const current = await tx
      .selectFrom('projects')
      .select(['write_key', 'secret_key_hash', 'identity_secret'])
      .where('project_id', '=', projectId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return undefined;
    await tx.deleteFrom('retired_keys').where('project_id', '=', projectId).where('expires_at', '<=', now).execute();
    if (overlapHours > 0) {
      const retired = {
        write: { key_hash: hashSecretKey(current.write_key), identity_secret: null },
        secret: { key_hash: current.secret_key_hash, identity_secret: null },
        identity: { key_hash: hashSecretKey(current.identity_secret), identity_secret: current.identity_secret },
      }[kind];
      await tx
        .insertInto('retired_keys')
        .values({ project_id: projectId, kind, ...retired, retired_at: now, expires_at: expiresAt })
        .onConflict((conflict) => conflict.columns(['project_id', 'kind', 'key_hash']).doUpdateSet({ retired_at: now, expires_at: expiresAt }))
        .execute();
    }
    const update = tx.updateTable('projects').where('project_id', '=', projectId);
    if (kind === 'write') await update.set({ write_key: key, write_key_created_at: now }).execute();
    else if (kind === 'secret') await update.set({ secret_key_hash: hashSecretKey(key), secret_key_created_at: now }).execute();
    else await update.set({ identity_secret: key, identity_secret_created_at: now }).execute();
    return { kind, key, previousKeyExpiresAt: (overlapHours > 0 ? expiresAt : now).toISOString() };
  });
}
