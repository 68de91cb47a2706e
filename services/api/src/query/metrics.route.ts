import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { activeMetricsSchema } from '@uptake/protocol';
import { dateRange, dateRangeAsOfQuerySchema } from './date-range.ts';
import { activeMetrics } from './metrics.queries.ts';
import { mustHaveAccountIfNamed } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';

/** Every `/v1/metrics` route: active users per day. An account's utilisation is an accounts route. */
export const metricsRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/metrics/active', {
    schema: {
      summary: 'DAU, WAU, MAU and stickiness per UTC day',
      tags: ['metrics'],
      security,
      querystring: dateRangeAsOfQuerySchema,
      response: { 200: activeMetricsSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      await mustHaveAccountIfNamed(db, projectId, request.query.accountId);
      return activeMetrics(db, cache, projectId, { ...dateRange(request.query, 30), accountId: request.query.accountId, asOf: request.query.asOf });
    },
  });
};
