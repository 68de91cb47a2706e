import type { FastifyRequest } from 'fastify';
import type { Auth } from './authenticate.ts';

/**
 * The query API's gate: `Authorization: Bearer <secretKey>` → the project (by the key's SHA-256).
 * A write key is public, so it reads nothing: it gets a 401 that says so.
 */
export function secretKeyAuthenticator(auth: Auth) {
  return async (request: FastifyRequest): Promise<void> => {
    request.project = await auth.secretKey(request);
  };
}
