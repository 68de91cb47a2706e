import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/**
 * Merges `settings` into the project's stored settings (projects.settings), straight in the
 * database. The ingestion and widget routes cache projects by write key: set it before the
 * project's first request.
 *
 * @example
 * await setProjectSettings(t.app.store.db, project.projectId, { requireUserHash: true });
 */
export async function setProjectSettings(db: Kysely<Database>, projectId: string, settings: Record<string, unknown>): Promise<void> {
  await sql`update projects set settings = settings || ${JSON.stringify(settings)}::jsonb where project_id = ${projectId}`.execute(db);
}
