import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { errorResponseSchema, messageAnswerSchema, messageQuerySchema } from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import type { Database } from '../db/database.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { widgetAccountOrThrow } from '../widgets/user-account.queries.ts';
import { widgetAuthenticator } from '../widgets/widget-auth.ts';
import { readWidgetSettings } from '../widgets/widget-settings.queries.ts';
import { decideUserMessage } from './messages.queries.ts';

export type MessageRoutesOptions = { db: Kysely<Database>; auth: Auth; cache: FigureCache };

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 429: errorResponseSchema };

/**
 * `GET /v1/widgets/messages` (docs/campaigns.md): the in-app message for a verified user, with the
 * widget API's gate (write key, allowed origins, userHash) and its verified-membership rule for
 * `accountId`.
 */
export const messageRoutes: FastifyPluginAsync<MessageRoutesOptions> = async (app, { db, auth, cache }) => {
  app.addHook('preValidation', widgetAuthenticator(auth));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/widgets/messages', {
    schema: {
      summary: 'The in-app campaign message to show this user now, if any',
      description:
        'At most one message: the highest-priority enabled campaign the user qualifies for, under the contact-pressure ledger the NPS prompt shares. An answer with show: true is recorded as a contact at once. Title and body are plain text with placeholders filled.',
      tags: ['widgets', 'campaigns'],
      security: [{ writeKey: [] }],
      querystring: messageQuerySchema,
      response: { 200: messageAnswerSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { userId } = request.query;
      const [settings, accountId] = await Promise.all([readWidgetSettings(db, projectId), widgetAccountOrThrow(db, projectId, userId, request.query.accountId)]);
      return decideUserMessage(db, cache, projectId, { userId, accountId, now: new Date() }, settings.nps);
    },
  });
};
