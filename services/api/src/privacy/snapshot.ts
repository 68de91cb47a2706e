import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * Runs `read` in one read-only REPEATABLE READ transaction and yields what it yields: every query
 * of the export sees the same snapshot, so rows committed meanwhile never appear half-way. The
 * transaction opens on the first pull (a stream destroyed before reading opens nothing) and is
 * rolled back when the reader finishes, fails or is abandoned (`return()` on client disconnect).
 * On PGlite (one connection) the export holds the connection until it ends (docs/privacy.md).
 */
export async function* inSnapshot<T>(db: Kysely<Database>, read: (trx: Transaction<Database>) => AsyncIterable<T>): AsyncGenerator<T> {
  const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
  try {
    yield* read(trx);
  } finally {
    await trx.rollback().execute();
  }
}
