import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  createdWebhookSchema,
  errorResponseSchema,
  newWebhookSchema,
  secretRotationInputSchema,
  secretRotationSchema,
  webhookDeliveriesQuerySchema,
  webhookDeliveriesSchema,
  webhookDeliveryParamsSchema,
  webhookListSchema,
  webhookParamsSchema,
  webhookSchema,
  webhookSendSchema,
  webhookUpdateSchema,
} from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import { deliveryLog } from './deliveries.queries.ts';
import { createEndpoint, deleteEndpoint, endpointOrThrow, enqueueTestMessage, listEndpoints, redeliver, rotateSecret, updateEndpoint, webhookOf } from './endpoints.queries.ts';
import { resolveTarget, TargetRefused } from './target-guard.ts';

export type WebhookRoutesOptions = {
  db: Kysely<Database>;
  auth: Auth;
  /** UPTAKE_WEBHOOK_ALLOW_PRIVATE: loopback and private targets are allowed. */
  allowPrivate: boolean;
  /** Tells this app's dispatcher to look for due deliveries now (a test send, a redelivery). */
  nudge: () => void;
};

const security = [{ secretKey: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema };

/** The SSRF guard at the edge: a URL whose host resolves to a refused address is a 400 naming `url`. */
async function mustBePublicTarget(url: string, allowPrivate: boolean): Promise<void> {
  try {
    await resolveTarget(new URL(url).hostname, allowPrivate);
  } catch (error) {
    if (error instanceof TargetRefused) throw new HttpError(400, 'invalid_request', `url: ${error.message}`, { path: 'url' });
    throw error;
  }
}

/** Every `/v1/webhooks` route (secret key; docs/webhooks.md). */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, { db, auth, allowPrivate, nudge }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const tags = ['webhooks'];

  typed.post('/v1/webhooks', {
    schema: { summary: 'Make a webhook endpoint (its secret is answered this once)', tags, security, body: newWebhookSchema, response: { 201: createdWebhookSchema, ...errors } },
    handler: async (request, reply) => {
      await mustBePublicTarget(request.body.url, allowPrivate);
      const { row, secret } = await createEndpoint(db, request.project.projectId, request.body);
      return reply.status(201).send({ ...webhookOf(row), secret });
    },
  });

  typed.get('/v1/webhooks', {
    schema: { summary: "The project's webhook endpoints", tags, security, response: { 200: webhookListSchema, ...errors } },
    handler: async (request) => ({ webhooks: (await listEndpoints(db, request.project.projectId)).map(webhookOf) }),
  });

  typed.get('/v1/webhooks/:webhookId', {
    schema: { summary: 'One webhook endpoint', tags, security, params: webhookParamsSchema, response: { 200: webhookSchema, ...errors } },
    handler: async (request) => webhookOf(await endpointOrThrow(db, request.project.projectId, request.params.webhookId)),
  });

  typed.patch('/v1/webhooks/:webhookId', {
    schema: { summary: 'Change a webhook endpoint (fields left out stay); enabled: true re-enables it', tags, security, params: webhookParamsSchema, body: webhookUpdateSchema, response: { 200: webhookSchema, ...errors } },
    handler: async (request) => {
      if (request.body.url !== undefined) await mustBePublicTarget(request.body.url, allowPrivate);
      const row = await updateEndpoint(db, request.project.projectId, request.params.webhookId, request.body);
      if (request.body.enabled === true) nudge();
      return webhookOf(row);
    },
  });

  typed.delete('/v1/webhooks/:webhookId', {
    schema: { summary: 'Delete a webhook endpoint and its delivery log', tags, security, params: webhookParamsSchema, response: { 204: z.null(), ...errors } },
    handler: async (request, reply) => {
      await deleteEndpoint(db, request.project.projectId, request.params.webhookId);
      return reply.status(204).send(null);
    },
  });

  typed.post('/v1/webhooks/:webhookId/secret/rotate', {
    schema: {
      summary: 'A new signing secret (answered this once); the old one keeps signing too for overlapHours',
      tags,
      security,
      params: webhookParamsSchema,
      body: secretRotationInputSchema.optional(),
      response: { 200: secretRotationSchema, ...errors },
    },
    handler: async (request) => rotateSecret(db, request.project.projectId, request.params.webhookId, request.body?.overlapHours ?? secretRotationInputSchema.parse({}).overlapHours),
  });

  typed.get('/v1/webhooks/:webhookId/deliveries', {
    schema: { summary: "One page of the endpoint's delivery log, newest first", tags, security, params: webhookParamsSchema, querystring: webhookDeliveriesQuerySchema, response: { 200: webhookDeliveriesSchema, ...errors } },
    handler: async (request) => {
      await endpointOrThrow(db, request.project.projectId, request.params.webhookId);
      return deliveryLog(db, request.project.projectId, request.params.webhookId, request.query);
    },
  });

  typed.post('/v1/webhooks/:webhookId/deliveries/:messageId/redeliver', {
    schema: { summary: 'Send a delivery again (same webhook-id), with a fresh retry schedule', tags, security, params: webhookDeliveryParamsSchema, response: { 202: webhookSendSchema, ...errors } },
    handler: async (request, reply) => {
      await redeliver(db, request.project.projectId, request.params.webhookId, request.params.messageId);
      nudge();
      return reply.status(202).send({ messageId: request.params.messageId, status: 'pending' as const });
    },
  });

  typed.post('/v1/webhooks/:webhookId/test', {
    schema: { summary: 'Send a webhook.test message to this endpoint', tags, security, params: webhookParamsSchema, response: { 202: webhookSendSchema, ...errors } },
    handler: async (request, reply) => {
      const messageId = await enqueueTestMessage(db, request.project.projectId, request.params.webhookId);
      nudge();
      return reply.status(202).send({ messageId, status: 'pending' as const });
    },
  });
};
