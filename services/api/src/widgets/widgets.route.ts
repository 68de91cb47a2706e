import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import {
  errorResponseSchema,
  npsPromptQuerySchema,
  npsPromptSchema,
  progressSchema,
  widgetSettingsInputSchema,
  widgetSettingsSchema,
  widgetUserQuerySchema,
} from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { decideNpsPrompt } from './nps-prompt.queries.ts';
import { widgetProgress } from './progress.queries.ts';
import { widgetAccountOrThrow } from './user-account.queries.ts';
import { widgetAuthenticator } from './widget-auth.ts';
import { readWidgetSettings, replaceWidgetSettings } from './widget-settings.queries.ts';

export type WidgetRoutesOptions = { db: Kysely<Database>; auth: Auth };

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 429: errorResponseSchema };

/**
 * Widget API (docs/widgets.md): `GET /v1/widgets/nps` and `GET /v1/widgets/progress` for in-app
 * widgets (write key + verified user, any origin unless the project lists some), and
 * `GET|PUT /v1/widgets/settings` for the project's widget settings (secret key).
 */
export const widgetRoutes: FastifyPluginAsync<WidgetRoutesOptions> = async (app, { db, auth }) => {
  await app.register(widgetReadRoutes, { db, auth });
  await app.register(widgetSettingsRoutes, { db, auth });
};

const widgetReadRoutes: FastifyPluginAsync<WidgetRoutesOptions> = async (app, { db, auth }) => {
  // CORS preflights are answered by the service-wide OPTIONS route (ingestion's CORS plugin:
  // any origin, Authorization allowed); GET is a simple method. Answers here name the origin.
  app.addHook('preValidation', widgetAuthenticator(auth));
  // Per-user answers: no shared cache may keep them.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ writeKey: [] }];

  const accountFor = (projectId: string, userId: string, requested: string | undefined) => widgetAccountOrThrow(db, projectId, userId, requested);

  typed.get('/v1/widgets/nps', {
    schema: {
      summary: 'Whether to show the NPS prompt to this user now',
      description:
        'Decided from stored facts only. An answer with show: true is recorded in the contact-pressure ledger at once (counted for the user and account limits on every device), whether or not the client reports $nps_shown.',
      tags: ['widgets'],
      security,
      querystring: npsPromptQuerySchema,
      response: { 200: npsPromptSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { userId, surveyId } = request.query;
      const [settings, accountId] = await Promise.all([readWidgetSettings(db, projectId), accountFor(projectId, userId, request.query.accountId)]);
      const decision = await decideNpsPrompt(db, projectId, { userId, accountId, surveyId, now: new Date() }, settings.nps);
      return { show: decision.show, surveyId, question: settings.nps.question, reason: decision.reason };
    },
  });

  typed.get('/v1/widgets/progress', {
    schema: {
      summary: 'What this user and their account did in the score window, and valuable features not yet used',
      tags: ['widgets'],
      security,
      querystring: widgetUserQuerySchema,
      response: { 200: progressSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { userId } = request.query;
      const [settings, accountId] = await Promise.all([readWidgetSettings(db, projectId), accountFor(projectId, userId, request.query.accountId)]);
      return widgetProgress(db, projectId, { userId, accountId, now: new Date(), maxMissing: settings.progress.maxMissing });
    },
  });
};

const widgetSettingsRoutes: FastifyPluginAsync<WidgetRoutesOptions> = async (app, { db, auth }) => {
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ secretKey: [] }];

  typed.get('/v1/widgets/settings', {
    schema: { summary: "The project's widget settings (defaults filled in)", tags: ['widgets'], security, response: { 200: widgetSettingsSchema, 401: errorResponseSchema } },
    handler: async (request) => readWidgetSettings(db, request.project.projectId),
  });

  typed.put('/v1/widgets/settings', {
    schema: {
      summary: "Replace the project's widget settings",
      description: 'A field left out goes back to its default. Answers the settings now in force.',
      tags: ['widgets'],
      security,
      body: widgetSettingsInputSchema,
      response: { 200: widgetSettingsSchema, 400: errorResponseSchema, 401: errorResponseSchema },
    },
    handler: async (request) => replaceWidgetSettings(db, request.project.projectId, request.body),
  });
};
