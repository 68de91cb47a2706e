import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { findProjectByWriteKey, type Project } from './projects.queries.ts';

export type ProjectLookup = (writeKey: string) => Promise<Project | undefined>;

/**
 * Write-key → project with a short-lived cache: every ingestion request needs it, and keys
 * change rarely. Unknown keys are cached too, so a client stuck on a wrong key costs no queries.
 */
export function cachedProjectLookup(db: Kysely<Database>, ttlMs = 30_000, maxEntries = 10_000): ProjectLookup {
  const cache = new Map<string, { project: Project | undefined; expires: number }>();
  return async (writeKey) => {
    const now = Date.now();
    const hit = cache.get(writeKey);
    if (hit && hit.expires > now) return hit.project;
    const project = await findProjectByWriteKey(db, writeKey);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(writeKey, { project, expires: now + (project ? ttlMs : ttlMs / 6) });
    return project;
  };
}
