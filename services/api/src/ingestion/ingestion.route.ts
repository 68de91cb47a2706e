import cors from '@fastify/cors';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { batchEnvelopeSchema, batchResponseSchema, errorResponseSchema, EVENT_TYPES, LIMITS, type BatchResponse } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { HttpError } from '../http/errors.ts';
import { cachedProjectLookup } from '../projects/project-cache.ts';
import type { Project } from '../projects/projects.queries.ts';
import { createBatchWriter } from './batch-writer.ts';
import { acceptCompressedBodies } from './decompress.ts';
import { prepareBatch } from './prepare-batch.ts';
import { createRateLimiter } from './rate-limit.ts';
import { userVerificationOf } from './user-hash.ts';
import { writeKeyOf } from './write-key.ts';

export type IngestionOptions = {
  db: Kysely<Database>;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Transactions storing batches at once (group commit); PGlite has one connection. */
  writers: number;
  /** The app's change tracker, told which projects' figures each commit changed. */
  changeTracker: ChangeTracker;
  /** Tell other instances sharing the database which figures changed (Postgres; PGlite has one process). */
  announceChanges: boolean;
  /** Distinct track event names per project; events with a new name past it are refused. */
  maxEventNames?: number | undefined;
};

declare module 'fastify' {
  interface FastifyRequest {
    project: Project;
  }
}

const errorResponses = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 413: errorResponseSchema, 429: errorResponseSchema, 503: errorResponseSchema };

/**
 * Ingestion: `POST /v1/batch` (Segment's batch API, a superset) and the single-event aliases
 * `POST /v1/track|identify|group|page`. JSON or text/plain (sendBeacon), optionally gzipped.
 */
export const ingestionRoutes: FastifyPluginAsync<IngestionOptions> = async (app, options) => {
  const lookupProject = cachedProjectLookup(options.db);
  const limiter = createRateLimiter(options.rateLimitPerSecond, options.rateLimitBurst);
  const writer = createBatchWriter(options.db, { writers: options.writers, maxEvents: 1000, changeTracker: options.changeTracker, announceChanges: options.announceChanges, maxEventNames: options.maxEventNames });

  // Any origin may send (the project's origin list is checked per request below).
  await app.register(cors, {
    origin: true,
    methods: ['POST'],
    allowedHeaders: ['content-type', 'authorization', 'content-encoding'],
    // The SDK honours Retry-After on 429/503; cross-origin scripts see it only when exposed.
    exposedHeaders: ['retry-after'],
    maxAge: 86_400,
  });
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: LIMITS.maxBatchBytes }, app.getDefaultJsonParser('error', 'error'));
  acceptCompressedBodies(app);

  // Authenticate before validating, so a wrong key gets 401 whatever the body holds.
  app.addHook('preValidation', async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    const writeKey = writeKeyOf(request.headers.authorization, body && typeof body === 'object' ? body['writeKey'] : undefined);
    if (!writeKey) {
      throw new HttpError(401, 'missing_write_key', 'no write key: send it as Authorization: Basic base64(writeKey + ":"), Authorization: Bearer <writeKey>, or "writeKey" in the body');
    }
    const project = await lookupProject(writeKey);
    if (!project) throw new HttpError(401, 'invalid_write_key', 'unknown write key');
    const origin = request.headers.origin;
    if (origin && project.allowedOrigins.length > 0 && !project.allowedOrigins.includes(origin)) {
      throw new HttpError(403, 'origin_not_allowed', `origin ${origin} is not in this project's allowed origins`);
    }
    const limit = limiter.take(writeKey, Date.now());
    if (!limit.allowed) {
      throw new HttpError(429, 'rate_limited', `too many requests for this write key; retry after ${limit.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(limit.retryAfterSeconds) },
      });
    }
    request.project = project;
  });

  const ingest = async (request: FastifyRequest, envelope: z.output<typeof batchEnvelopeSchema>): Promise<BatchResponse> => {
    const receivedAt = new Date();
    const prepared = prepareBatch(envelope, receivedAt, userVerificationOf(request.project));
    const stored = await writer.write(request.project.projectId, prepared);
    if (stored.rejected.length > 0) {
      // A limit was hit (the event-name limit or a trait cap): the operator should hear of it.
      const reasons = [...new Set(stored.rejected.flatMap((event) => event.errors.map((error) => error.message.split(':')[0])))];
      request.log.warn({ projectId: request.project.projectId, refused: stored.rejected.length, reasons }, 'events refused while storing: a project limit was reached');
    }
    const rejected = stored.rejected.length === 0 ? prepared.rejected : [...prepared.rejected, ...stored.rejected].sort((a, b) => a.index - b.index);
    return { accepted: stored.accepted, duplicates: stored.duplicates, rejected };
  };

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.post('/v1/batch', {
    bodyLimit: LIMITS.maxBatchBytes,
    schema: {
      summary: 'Send a batch of events',
      description: 'Segment-compatible batch. Invalid events are reported in `rejected` and the valid ones stored; the answer comes after the commit.',
      tags: ['ingestion'],
      body: batchEnvelopeSchema,
      response: { 200: batchResponseSchema, ...errorResponses },
    },
    handler: (request) => ingest(request, request.body),
  });

  // Segment's single-event endpoints: one event as the body, its type taken from the path.
  for (const type of EVENT_TYPES) {
    typed.post(`/v1/${type}`, {
      bodyLimit: LIMITS.maxBatchBytes,
      schema: {
        summary: `Send one ${type} event`,
        tags: ['ingestion'],
        body: z.looseObject({ type: z.literal(type).optional(), writeKey: z.string().optional(), sentAt: batchEnvelopeSchema.shape.sentAt }),
        response: { 200: batchResponseSchema, ...errorResponses },
      },
      handler: async (request) => {
        const { writeKey: _writeKey, sentAt, ...event } = request.body;
        const answer = await ingest(request, { sentAt, batch: [{ ...event, type }] });
        const rejected = answer.rejected[0];
        if (rejected) {
          const first = rejected.errors[0]!;
          throw new HttpError(400, 'invalid_event', `${first.path}: ${first.message}`, { path: first.path });
        }
        return answer;
      },
    });
  }
};
