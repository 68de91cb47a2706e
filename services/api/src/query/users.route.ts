import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorResponseSchema, memberSegmentsSchema, scoreQuerySchema, userParamsSchema, userScoreSchema } from '@uptake/protocol';
import { today } from '../domain/days.ts';
import { segmentsOfOne } from './member-segments.ts';
import { mustHaveUser, scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { userScore } from './scores.queries.ts';

/** Every `/v1/users/:userId` route: one user's score and the segments they are in. Registered inside the query routes, so the secret key guards them. */
export const userRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/users/:userId/score', {
    schema: { summary: "A user's engagement score", tags: ['scores'], security, params: userParamsSchema, querystring: scoreQuerySchema, response: { 200: userScoreSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const model = await scoreModelFor(db, projectId, request.query.model);
      await mustHaveUser(db, projectId, request.params.userId);
      return userScore(db, cache, projectId, model, request.params.userId, request.query.asOf ?? today());
    },
  });

  typed.get('/v1/users/:userId/segments', {
    schema: { summary: 'The segments a user is in', tags: ['segments'], security, params: userParamsSchema, querystring: scoreQuerySchema, response: { 200: memberSegmentsSchema, ...errors, 409: errorResponseSchema } },
    handler: async (request) => segmentsOfOne(db, cache, 'users', request.project.projectId, request.params.userId, request.query),
  });
};
