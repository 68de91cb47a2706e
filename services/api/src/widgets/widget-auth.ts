import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import { writeKeyOf } from '../ingestion/write-key.ts';
import { safeEqual, userHash } from '../projects/keys.ts';
import { cachedProjectLookup } from '../projects/project-cache.ts';
import { findProjectBySecretKey } from '../projects/projects.queries.ts';

const HASH_HELP = 'userHash = hex(HMAC-SHA256(identitySecret, userId)), computed by your backend';

/**
 * The widget routes' gate (DESIGN §4): the write key (`Authorization: Bearer`, or `?writeKey=`),
 * the project's allowed origins, and identity verification — `userHash` must be the HMAC of
 * `userId` under the project's identity secret, compared in constant time — so the public write
 * key alone reads nobody's data. Any of the three missing or wrong → 401.
 */
export function widgetAuthenticator(db: Kysely<Database>) {
  const lookupProject = cachedProjectLookup(db);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // A browser SDK must be able to read the refusal too.
    const origin = request.headers.origin;
    if (origin) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');

    const query = (request.query ?? {}) as Record<string, unknown>;
    const writeKey = writeKeyOf(request.headers.authorization, query['writeKey']);
    if (!writeKey) {
      throw new HttpError(401, 'missing_write_key', 'no write key: send it as Authorization: Bearer <writeKey> or as ?writeKey=');
    }
    const project = await lookupProject(writeKey);
    if (!project) {
      if (await findProjectBySecretKey(db, writeKey)) {
        throw new HttpError(401, 'secret_key_not_allowed', 'this is the secret key, which must never reach a browser: widget routes take the write key');
      }
      throw new HttpError(401, 'invalid_write_key', 'unknown write key');
    }
    if (origin && project.allowedOrigins.length > 0 && !project.allowedOrigins.includes(origin)) {
      throw new HttpError(403, 'origin_not_allowed', `origin ${origin} is not in this project's allowed origins`);
    }
    const userId = query['userId'];
    const hash = query['userHash'];
    if (typeof userId !== 'string' || userId === '') throw new HttpError(401, 'missing_user_id', `userId is required, with userHash (${HASH_HELP})`, { path: 'userId' });
    if (typeof hash !== 'string' || hash === '') throw new HttpError(401, 'missing_user_hash', `userHash is required: ${HASH_HELP}`, { path: 'userHash' });
    if (!safeEqual(userHash(project.identitySecret, userId), hash.toLowerCase())) {
      throw new HttpError(401, 'invalid_user_hash', `userHash does not match userId: ${HASH_HELP}`, { path: 'userHash' });
    }
    request.project = project;
  };
}
