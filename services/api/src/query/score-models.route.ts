import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { newScoreModelSchema, scoreModelListSchema, scoreModelSchema } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { errors, security } from './route-schema.ts';
import { createScoreModel, listScoreModels } from './score-models.queries.ts';

export type ScoreModelRoutesOptions = { db: Kysely<Database> };

/** Every `/v1/score-models` route: the versions of the project's score model, and a new one. */
export const scoreModelRoutes: FastifyPluginAsync<ScoreModelRoutesOptions> = async (app, { db }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/score-models', {
    schema: { summary: 'Versions of the score model', tags: ['score models'], security, response: { 200: scoreModelListSchema, ...errors } },
    handler: async (request) => ({ models: await listScoreModels(db, request.project.projectId) }),
  });
  typed.post('/v1/score-models', {
    schema: {
      summary: 'Make a new score model version (active, or shadow with activate: false)',
      tags: ['score models'],
      security,
      body: newScoreModelSchema,
      response: { 201: scoreModelSchema, ...errors },
    },
    handler: async (request, reply) => {
      const model = await createScoreModel(db, request.project.projectId, request.body);
      return reply.status(201).send(model);
    },
  });
};
