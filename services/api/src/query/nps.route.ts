import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { npsAnswerSchema } from '@uptake/protocol';
import { dateRange, dateRangeAsOfQuerySchema } from './date-range.ts';
import { NPS_DEFAULT_DAYS, npsSummary } from './nps.queries.ts';
import { mustHaveAccountIfNamed } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';

/** `GET /v1/nps`: the Net Promoter Score of the project or one account over a window. */
export const npsRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/nps', {
    schema: {
      summary: 'Net Promoter Score over a window (default: the 90 days to today)',
      tags: ['nps'],
      security,
      querystring: dateRangeAsOfQuerySchema,
      response: { 200: npsAnswerSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      await mustHaveAccountIfNamed(db, projectId, request.query.accountId);
      const window = dateRange({ from: request.query.from, to: request.query.to ?? request.query.asOf }, NPS_DEFAULT_DAYS);
      return npsSummary(db, cache, projectId, { ...window, asOf: request.query.asOf ?? window.to, accountId: request.query.accountId });
    },
  });
};
