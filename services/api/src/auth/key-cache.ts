import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { hashSecretKey } from '../projects/keys.ts';
import { findProjectByKey, type Project } from '../projects/projects.queries.ts';

export type KeyKind = 'write' | 'secret';

export type KeyCacheOptions = {
  /** How long a found key is trusted before it is looked up again (a change made elsewhere shows within it). */
  ttlMs: number;
  /** How long an unknown key is remembered as unknown. */
  unknownTtlMs: number;
  maxKnown: number;
  maxUnknown: number;
};

export const KEY_CACHE_DEFAULTS: KeyCacheOptions = { ttlMs: 30_000, unknownTtlMs: 5_000, maxKnown: 10_000, maxUnknown: 10_000 };

export type KeyCache = {
  /** The project of a key, from the cache or the database. */
  lookup(kind: KeyKind, key: string): Promise<Project | undefined>;
  /** The project of a key only when it is cached as known (no query). */
  known(kind: KeyKind, key: string): Project | undefined;
  /** Forgets a project's keys, after its keys or settings changed on this instance. */
  invalidate(projectId: string): void;
};

/**
 * Key → project, for ingestion, widgets and the query API alike. Known and unknown keys are kept
 * apart, each bounded and least-recently-used first out, so a flood of random keys fills only
 * the unknown side: it never evicts a real key, and a repeated wrong key costs no query. A
 * rotated-out key is trusted no longer than its overlap; concurrent misses of a key share one
 * query. Secret keys are held by their SHA-256, never in clear.
 *
 * @example
 * const keys = createKeyCache(db);
 * const project = await keys.lookup('write', writeKey);
 */
export function createKeyCache(db: Kysely<Database>, options: Partial<KeyCacheOptions> = {}): KeyCache {
  const { ttlMs, unknownTtlMs, maxKnown, maxUnknown } = { ...KEY_CACHE_DEFAULTS, ...options };
  const known = new Map<string, { project: Project; expires: number }>();
  const unknown = new Map<string, number>();
  const pending = new Map<string, Promise<Project | undefined>>();
  const cacheKey = (kind: KeyKind, key: string) => (kind === 'write' ? `w:${key}` : `s:${hashSecretKey(key)}`);
  const remember = <V>(map: Map<string, V>, id: string, value: V, max: number) => {
    map.delete(id);
    if (map.size >= max) map.delete(map.keys().next().value!);
    map.set(id, value);
  };
  const cachedKnown = (id: string, now: number) => {
    const hit = known.get(id);
    if (!hit) return undefined;
    if (hit.expires <= now) {
      known.delete(id);
      return undefined;
    }
    remember(known, id, hit, maxKnown);
    return hit.project;
  };

  return {
    known: (kind, key) => cachedKnown(cacheKey(kind, key), Date.now()),
    async lookup(kind, key) {
      const id = cacheKey(kind, key);
      const now = Date.now();
      const hit = cachedKnown(id, now);
      if (hit) return hit;
      const unknownUntil = unknown.get(id);
      if (unknownUntil !== undefined && unknownUntil > now) return undefined;
      const inFlight = pending.get(id);
      if (inFlight) return inFlight;
      const query = findProjectByKey(db, kind, key)
        .then((match) => {
          const at = Date.now();
          if (match) {
            unknown.delete(id);
            remember(known, id, { project: match.project, expires: Math.min(at + ttlMs, match.expiresAt ?? Infinity, ...match.project.previousIdentitySecrets.map((s) => s.expiresAt)) }, maxKnown);
          } else {
            remember(unknown, id, at + unknownTtlMs, maxUnknown);
          }
          return match?.project;
        })
        .finally(() => pending.delete(id));
      pending.set(id, query);
      return query;
    },
    invalidate(projectId) {
      for (const [id, entry] of known) if (entry.project.projectId === projectId) known.delete(id);
      // A key made just now may have been tried (and remembered as unknown) a moment before.
      unknown.clear();
    },
  };
}
