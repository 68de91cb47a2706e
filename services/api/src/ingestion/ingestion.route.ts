import cors from '@fastify/cors';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { batchEnvelopeSchema, batchResponseSchema, errorResponseSchema, EVENT_TYPES, EXAMPLE_EVENTS, LIMITS, type BatchResponse } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { Auth } from '../auth/authenticate.ts';
import { isEchoableOrigin } from '../auth/credentials.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { HttpError } from '../http/errors.ts';
import type { GroupCommitMetrics, IngestionMetrics, RequestOutcome } from '../metrics/metrics.ts';
import type { Project } from '../projects/projects.queries.ts';
import { createBatchWriter } from './batch-writer.ts';
import { acceptCompressedBodies } from './decompress.ts';
import { prepareBatch } from './prepare-batch.ts';
import { rejectionReason } from './rejection-reason.ts';
import { userVerificationOf } from './user-hash.ts';

export type IngestionOptions = {
  db: Kysely<Database>;
  /** Write key, origin and the per-project rate limit (auth/authenticate.ts). */
  auth: Auth;
  /** Transactions storing batches at once (group commit); PGlite has one connection. */
  writers: number;
  /** The app's change tracker, told which projects' figures each commit changed. */
  changeTracker: ChangeTracker;
  /** Tell other instances sharing the database which figures changed (Postgres; PGlite has one process). */
  announceChanges: boolean;
  /** Distinct track event names per project; events with a new name past it are refused. */
  maxEventNames?: number | undefined;
  /** Keep `context.ip` in stored events and warnings (`UPTAKE_STORE_IP`); off: removed (docs/privacy.md). */
  storeIp?: boolean | undefined;
  /** Requests, events and acknowledgement latency; the group commit's queue and transactions (docs/operations.md). */
  metrics?: { ingestion: IngestionMetrics; groupCommit: GroupCommitMetrics } | undefined;
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
  const writer = createBatchWriter(options.db, {
    writers: options.writers,
    maxEvents: 1000,
    changeTracker: options.changeTracker,
    announceChanges: options.announceChanges,
    maxEventNames: options.maxEventNames,
    metrics: options.metrics?.groupCommit,
  });
  const metrics = options.metrics?.ingestion;
  if (metrics) countRequests(app, metrics);

  // Any origin may send (the project's origin list is checked per request below); one that
  // cannot be a header value is not echoed, and the check below refuses it by name.
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin === undefined || isEchoableOrigin(origin)),
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
    request.project = await options.auth.ingestion(request, body && typeof body === 'object' ? body['writeKey'] : undefined);
  });

  const ingest = async (request: FastifyRequest, envelope: z.output<typeof batchEnvelopeSchema>): Promise<BatchResponse> => {
    const receivedAt = new Date();
    const prepared = prepareBatch(envelope, receivedAt, userVerificationOf(request.project), { storeIp: options.storeIp ?? false });
    const stored = await writer.write(request.project.projectId, prepared);
    if (stored.rejected.length > 0) {
      // A limit was hit (the event-name limit or a trait cap): the operator should hear of it.
      const reasons = [...new Set(stored.rejected.flatMap((event) => event.errors.map((error) => error.message.split(':')[0])))];
      request.log.warn({ projectId: request.project.projectId, refused: stored.rejected.length, reasons }, 'events refused while storing: a project limit was reached');
    }
    const rejected = stored.rejected.length === 0 ? prepared.rejected : [...prepared.rejected, ...stored.rejected].sort((a, b) => a.index - b.index);
    if (metrics) {
      metrics.events('accepted', stored.accepted);
      metrics.events('duplicate', stored.duplicates);
      for (const event of rejected) metrics.rejected(rejectionReason(event.errors[0]!), 1);
    }
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
        body: z
          .looseObject({ type: z.literal(type).optional(), writeKey: z.string().optional(), sentAt: batchEnvelopeSchema.shape.sentAt })
          .meta({ example: EXAMPLE_EVENTS[type] }),
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

/**
 * Counts every answered POST of these routes by outcome and reason (the `error` code the client
 * got: the central error handler's body), and the time from received to 200.
 */
function countRequests(app: FastifyInstance, metrics: IngestionMetrics): void {
  const reasons = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string') reasons.set(request, errorCodeOf(payload));
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'POST') return;
    const status = reply.statusCode;
    const outcome: RequestOutcome = status < 400 ? 'accepted' : status < 500 ? 'refused' : status === 503 ? 'unavailable' : 'failed';
    metrics.request(outcome, status < 400 ? 'ok' : (reasons.get(request) ?? 'unknown'), reply.elapsedTime / 1000);
  });
}

/** The `error` of an error body `{ error, message }`: a short code, or `unknown`. */
function errorCodeOf(body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: unknown }).error;
    return typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : 'unknown';
  } catch {
    return 'unknown';
  }
}
