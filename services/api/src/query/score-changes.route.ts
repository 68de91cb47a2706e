import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { accountParamsSchema, accountScoreChangesSchema, scoreChangesQuerySchema, userParamsSchema, userScoreChangesSchema } from '@uptake/protocol';
import { dateRange } from './date-range.ts';
import { mustHaveAccount, mustHaveUser, scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { accountScoreChanges, userScoreChanges } from './score-changes.queries.ts';

/** Days between `from` and `to` by default: the change over the last 30 days. */
const DEFAULT_CHANGE_DAYS = 31;

/**
 * Why a score changed (docs/api.md, Why a score changed): a user's or account's score on `to`
 * minus the one on `from`, explained by feature (and for accounts by user). Registered inside the
 * query routes, so the secret key guards them.
 */
export const scoreChangeRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['scores'];

  typed.get('/v1/users/:userId/score/changes', {
    schema: { summary: "Why a user's score changed between two days, by feature", tags, security, params: userParamsSchema, querystring: scoreChangesQuerySchema, response: { 200: userScoreChangesSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const { from, to } = dateRange(request.query, DEFAULT_CHANGE_DAYS);
      const model = await scoreModelFor(db, projectId, request.query.model);
      await mustHaveUser(db, projectId, request.params.userId);
      // Kept until the project stores new events, as every figure (query/figure-cache.ts).
      return cache.get(projectId, `score-changes:${JSON.stringify(['user', request.params.userId, model.version, from, to])}`, () => userScoreChanges(db, projectId, model, request.params.userId, from, to), to);
    },
  });

  typed.get('/v1/accounts/:accountId/score/changes', {
    schema: {
      summary: "Why an account's score changed between two days, by feature and by user",
      tags,
      security,
      params: accountParamsSchema,
      querystring: scoreChangesQuerySchema,
      response: { 200: accountScoreChangesSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { from, to } = dateRange(request.query, DEFAULT_CHANGE_DAYS);
      const model = await scoreModelFor(db, projectId, request.query.model);
      await mustHaveAccount(db, projectId, request.params.accountId);
      return cache.get(projectId, `score-changes:${JSON.stringify(['account', request.params.accountId, model.version, from, to])}`, () => accountScoreChanges(db, projectId, model, request.params.accountId, from, to), to);
    },
  });
};
