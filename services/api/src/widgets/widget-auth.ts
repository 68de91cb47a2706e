import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../auth/authenticate.ts';
import { checkStorableText, isEchoableOrigin } from '../auth/credentials.ts';
import { HttpError } from '../http/errors.ts';
import { userHashMatches } from '../projects/keys.ts';

const HASH_HELP = 'userHash = hex(HMAC-SHA256(identitySecret, userId)), computed by your backend';
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * The widget routes' gate (docs/widgets.md): the write key (`Authorization: Bearer`, or
 * `?writeKey=`), the project's allowed origins, and identity verification — `userHash` must be
 * the HMAC of `userId` under one of the project's live identity secrets, compared in constant
 * time — so the public write key alone reads nobody's data. Any of the three missing or wrong → 401.
 */
export function widgetAuthenticator(auth: Auth) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // A browser SDK must be able to read the refusal too.
    const origin = request.headers.origin;
    if (isEchoableOrigin(origin)) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');

    const query = (request.query ?? {}) as Record<string, unknown>;
    const project = await auth.widget(request, query['writeKey']);
    // Every text here reaches SQL (ids) or the hash check: refuse what Postgres cannot take.
    for (const [field, value] of Object.entries(query)) if (typeof value === 'string') checkStorableText(field, value);
    const userId = query['userId'];
    const hash = query['userHash'];
    if (typeof userId !== 'string' || userId === '') throw new HttpError(401, 'missing_user_id', `userId is required, with userHash (${HASH_HELP})`, { path: 'userId' });
    if (typeof hash !== 'string' || hash === '') throw new HttpError(401, 'missing_user_hash', `userHash is required: ${HASH_HELP}`, { path: 'userHash' });
    if (!HEX_SHA256.test(hash) || !userHashMatches(project, userId, hash)) {
      auth.failed(request);
      throw new HttpError(401, 'invalid_user_hash', `userHash does not match userId: ${HASH_HELP}`, { path: 'userHash' });
    }
    request.project = project;
  };
}
