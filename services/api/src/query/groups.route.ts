import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { accountParamsSchema, groupsQuerySchema, groupsSchema } from '@uptake/protocol';
import { today } from '../domain/days.ts';
import { scoresByGroup } from './groups.queries.ts';
import { mustHaveAccount, scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';

/**
 * Scores by group of users (docs/api.md, "Scores by group"): one account's users, or every user,
 * grouped by a user trait. Registered inside the query routes, so the secret key guards them.
 */
export const groupRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['groups'];

  const answer = async (projectId: string, query: { trait: string; asOf?: string | undefined; model?: number | undefined }, accountId?: string) => {
    const asOf = query.asOf ?? today();
    const model = await scoreModelFor(db, projectId, query.model);
    const { window, groups } = await scoresByGroup(db, cache, projectId, model, { trait: query.trait, asOf, accountId });
    // Checked only when nobody is in it: an account with users exists, and a warm answer stays one read.
    if (accountId !== undefined && groups.length === 0) await mustHaveAccount(db, projectId, accountId);
    return { accountId: accountId ?? null, trait: query.trait, asOf, model: { version: model.version }, window, groups };
  };

  typed.get('/v1/accounts/:accountId/groups', {
    schema: {
      summary: "An account's users grouped by a user trait (default role): users, active users, score, score per active user, top features",
      tags,
      security,
      params: accountParamsSchema,
      querystring: groupsQuerySchema,
      response: { 200: groupsSchema, ...errors },
    },
    handler: (request) => answer(request.project.projectId, request.query, request.params.accountId),
  });
  typed.get('/v1/groups', {
    schema: {
      summary: 'Every user grouped by a user trait (default role): users, active users, score, score per active user, top features',
      tags,
      security,
      querystring: groupsQuerySchema,
      response: { 200: groupsSchema, ...errors },
    },
    handler: (request) => answer(request.project.projectId, request.query),
  });
};
