import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError, isPoolWaitTimeout, isStorageUnavailable } from './errors.ts';

/** `/batch/3/userId` (JSON pointer) → `batch[3].userId`. */
function pointerToPath(pointer: string, context: string | undefined): string {
  const parts = pointer.split('/').filter(Boolean);
  let path = '';
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : path ? `.${part}` : part;
  return path || (context ?? '(root)');
}

const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; error: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'payload_too_large', message: 'body is larger than 500 KB (after decompression): split the batch' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type', message: 'send the body as application/json or text/plain' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'invalid_body', message: 'body is empty: expected a JSON object' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'invalid_body', message: 'Content-Length does not match the body' },
};

/**
 * One place that turns errors into answers: 4xx name what is wrong (with the JSON path), storage
 * outages become 503 + Retry-After, and 5xx never leak internals. `databaseBusy`: whether every
 * pooled connection is in use, so that a wait for one past the pool's limit is told apart from an
 * outage (an operator looks at the pool size and the work beside, not at the database's health).
 */
export function installErrorHandler(app: FastifyInstance, retryAfterSeconds: number, databaseBusy: () => boolean = () => false): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .status(error.statusCode)
        .headers(error.headers)
        .send({ error: error.code, message: error.message, ...(error.path ? { path: error.path } : {}) });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0]!;
      const path = pointerToPath(first.instancePath, error.validationContext);
      return reply.status(400).send({ error: 'invalid_request', message: `${path}: ${first.message}`, path });
    }
    const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) return reply.status(known.status).send({ error: known.error, message: known.message });
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.status(400).send({ error: 'invalid_json', message: `body is not valid JSON: ${error.message}` });
    }
    if (isPoolWaitTimeout(error) && databaseBusy()) {
      request.log.warn({ err: error }, 'database busy: every pooled connection in use');
      return reply
        .status(503)
        .header('retry-after', '1')
        .send({ error: 'database_busy', message: 'every database connection of this instance stayed in use while the request waited for one (DATABASE_POOL_SIZE); retry after 1 s' });
    }
    if (isStorageUnavailable(error)) {
      request.log.warn({ err: error }, 'storage unavailable');
      return reply
        .status(503)
        .header('retry-after', String(retryAfterSeconds))
        .send({ error: 'storage_unavailable', message: `storage is unavailable; retry after ${retryAfterSeconds} s` });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: 'internal_error', message: `internal error (request ${request.id})` });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
