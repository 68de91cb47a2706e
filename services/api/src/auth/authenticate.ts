import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import type { RateLimitMetrics } from '../metrics/metrics.ts';
import { writeKeyOf } from './write-key.ts';
import type { Project } from '../projects/projects.queries.ts';
import { checkKeyFormat, checkOrigin } from './credentials.ts';
import { createKeyCache, type KeyCache, type KeyCacheOptions, type KeyKind } from './key-cache.ts';
import { createRateLimiter, rateLimited, type RateLimit } from './rate-limit.ts';
import { bearerToken } from '../http/authorization-header.ts';

/** The limits of docs/security.md; a `perSecond` of 0 turns one off. */
export type AuthLimits = {
  /** Ingestion requests per project (all its live write keys together). */
  ingestion: RateLimit;
  /** Widget reads per project (write key). */
  widgets: RateLimit;
  /** Query API (and project, widget-settings) requests per project (secret key). */
  query: RateLimit;
  /** Failed authentications (401s) per client address; once spent, the address gets 429 for keys not already known. */
  authFailures: RateLimit;
  keyCache?: Partial<KeyCacheOptions>;
};

export type Auth = {
  keys: KeyCache;
  /** Ingestion: the write key from Authorization (Basic or Bearer) or the body; the origin; the rate limit. */
  ingestion(request: FastifyRequest, bodyWriteKey: unknown): Promise<Project>;
  /** Widget reads: the write key from `Authorization: Bearer` or `?writeKey=`; the origin; the rate limit. */
  widget(request: FastifyRequest, queryWriteKey: unknown): Promise<Project>;
  /** The query API: `Authorization: Bearer <secretKey>`; the rate limit. */
  secretKey(request: FastifyRequest): Promise<Project>;
  /** Counts a 401 found after the key (a wrong userHash) against the client's address. */
  failed(request: FastifyRequest): void;
};

const MISSING = {
  ingestion: 'no write key: send it as Authorization: Basic base64(writeKey + ":"), Authorization: Bearer <writeKey>, or "writeKey" in the body',
  widget: 'no write key: send it as Authorization: Bearer <writeKey> or as ?writeKey=',
  secret: 'the query API needs the project secret key: send Authorization: Bearer <secretKey>',
};

/**
 * Every key check of the service in one place (docs/security.md): keys are checked for shape
 * before any query, looked up through one cache, the origin checked, and each route family
 * rate-limited per project. Repeated 401s from one address spend its failure budget; then that
 * address gets 429 instead of a database lookup until the budget refills (keys already known
 * still pass, so one bad client behind a shared address does not lock out the good ones).
 *
 * @example
 * const auth = createAuth(db, limits);
 * app.addHook('onRequest', async (request) => { request.project = await auth.secretKey(request); });
 */
export function createAuth(db: Kysely<Database>, limits: AuthLimits, metrics?: RateLimitMetrics): Auth {
  const keys = createKeyCache(db, limits.keyCache);
  const failures = createRateLimiter(limits.authFailures);
  const perProject = {
    ingestion: { limiter: createRateLimiter(limits.ingestion), limit: limits.ingestion, what: "ingestion requests for this project's write key" },
    widgets: { limiter: createRateLimiter(limits.widgets), limit: limits.widgets, what: "widget requests for this project's write key" },
    query: { limiter: createRateLimiter(limits.query), limit: limits.query, what: "query API requests for this project's secret key" },
  };
  const failed = (request: FastifyRequest) => void failures.take(request.ip, Date.now());

  /** `malformed`: the key could not even be read (a Basic header that is not base64). */
  const find = async (request: FastifyRequest, kind: KeyKind, key: string | undefined, missing: string, malformed?: HttpError): Promise<Project> => {
    const waitSeconds = failures.waitSeconds(request.ip, Date.now());
    if (waitSeconds > 0) {
      const project = key === undefined ? undefined : keys.known(kind, key);
      if (project) return project;
      metrics?.refused('auth_failures');
      throw rateLimited('failed authentications from this address', limits.authFailures, waitSeconds);
    }
    try {
      if (malformed) throw malformed;
      if (key === undefined) throw new HttpError(401, kind === 'write' ? 'missing_write_key' : 'missing_secret_key', missing);
      checkKeyFormat(kind === 'write' ? 'writeKey' : 'secretKey', key);
      const project = await keys.lookup(kind, key);
      if (project) return project;
      throw await unknownKey(kind, key);
    } catch (error) {
      if (error instanceof HttpError && error.statusCode === 401) failed(request);
      throw error;
    }
  };

  // The other kind of key sent by mistake gets an answer that says so (looked up only when it looks like one).
  const unknownKey = async (kind: KeyKind, key: string): Promise<HttpError> => {
    if (kind === 'secret') {
      if (key.startsWith('wk_') && (await keys.lookup('write', key))) {
        return new HttpError(401, 'write_key_not_allowed', 'this is a write key, which only sends events; the query API needs the secret key (Authorization: Bearer <secretKey>)');
      }
      return new HttpError(401, 'invalid_secret_key', 'unknown secret key');
    }
    if (key.startsWith('sk_') && (await keys.lookup('secret', key))) {
      return new HttpError(401, 'secret_key_not_allowed', 'this is the secret key, which must never reach a browser: send the write key');
    }
    return new HttpError(401, 'invalid_write_key', 'unknown write key');
  };

  const limit = (family: keyof typeof perProject, project: Project) => {
    const { limiter, limit: rate, what } = perProject[family];
    const taken = limiter.take(project.projectId, Date.now());
    if (!taken.allowed) {
      metrics?.refused(family);
      throw rateLimited(what, rate, taken.retryAfterSeconds);
    }
  };

  const writeKeyed = (family: 'ingestion' | 'widgets', missing: string) => async (request: FastifyRequest, fallback: unknown) => {
    let key: string | undefined;
    let malformed: HttpError | undefined;
    try {
      key = writeKeyOf(request.headers.authorization, fallback);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      malformed = error;
    }
    const project = await find(request, 'write', key, missing, malformed);
    checkOrigin(project, request.headers.origin);
    limit(family, project);
    return project;
  };

  return {
    keys,
    failed,
    ingestion: writeKeyed('ingestion', MISSING.ingestion),
    widget: writeKeyed('widgets', MISSING.widget),
    async secretKey(request) {
      const project = await find(request, 'secret', bearerToken(request.headers.authorization), MISSING.secret);
      limit('query', project);
      return project;
    },
  };
}
