import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { scoreModelCompareQuerySchema, scoreModelComparisonSchema } from '@uptake/protocol';
import { today } from '../domain/days.ts';
import { scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { compareScoreModels } from './score-model-compare.queries.ts';

/** `GET /v1/score-models/compare` (docs/api.md, "Comparing two score models"). Registered inside the query routes, so the secret key guards it. */
export const scoreModelCompareRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/score-models/compare', {
    schema: {
      summary: 'How two score model versions rank the same users or accounts: Spearman rank correlation and the biggest movers',
      tags: ['score models'],
      security,
      querystring: scoreModelCompareQuerySchema,
      response: { 200: scoreModelComparisonSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { of, limit } = request.query;
      const asOf = request.query.asOf ?? today();
      const [a, b] = await Promise.all([scoreModelFor(db, projectId, request.query.a, 'a'), scoreModelFor(db, projectId, request.query.b, 'b')]);
      const comparison = await compareScoreModels(db, cache, projectId, { a, b, asOf, of, limit });
      return { of, asOf, a: { version: a.version }, b: { version: b.version }, ...comparison };
    },
  });
};
