import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import { findProjectBySecretKey, findProjectByWriteKey, type Project } from '../projects/projects.queries.ts';

/**
 * `Authorization: Bearer <secretKey>` → the project (by the key's SHA-256). A write key is
 * public, so it reads nothing: it gets a 401 that says so.
 */
export function secretKeyAuthenticator(db: Kysely<Database>, ttlMs = 30_000) {
  const cache = new Map<string, { project: Project | undefined; expires: number }>();
  const lookup = async (secretKey: string) => {
    const now = Date.now();
    const hit = cache.get(secretKey);
    if (hit && hit.expires > now) return hit.project;
    const project = await findProjectBySecretKey(db, secretKey);
    if (cache.size >= 10_000) cache.clear();
    cache.set(secretKey, { project, expires: now + ttlMs });
    return project;
  };
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HttpError(401, 'missing_secret_key', 'the query API needs the project secret key: send Authorization: Bearer <secretKey>');
    const key = match[1]!;
    const project = await lookup(key);
    if (project) {
      request.project = project;
      return;
    }
    if (await findProjectByWriteKey(db, key)) {
      throw new HttpError(401, 'write_key_not_allowed', 'this is a write key, which only sends events; the query API needs the secret key (Authorization: Bearer <secretKey>)');
    }
    throw new HttpError(401, 'invalid_secret_key', 'unknown secret key');
  };
}
