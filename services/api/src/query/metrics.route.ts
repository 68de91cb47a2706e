import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { activeMetricsSchema, asOfQuerySchema, dateRangeQuerySchema } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { dateRange } from './date-range.ts';
import type { FigureCache } from './figure-cache.ts';
import { activeMetrics } from './metrics.queries.ts';
import { mustHaveAccount } from './route-lookups.ts';
import { errors, security } from './route-schema.ts';

export type MetricsRoutesOptions = { db: Kysely<Database>; cache: FigureCache };

/** Every `/v1/metrics` route: active users per day. An account's utilisation is an accounts route. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/metrics/active', {
    schema: {
      summary: 'DAU, WAU, MAU and stickiness per UTC day',
      tags: ['metrics'],
      security,
      querystring: dateRangeQuerySchema.extend(asOfQuerySchema.shape),
      response: { 200: activeMetricsSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      if (request.query.accountId !== undefined) await mustHaveAccount(db, projectId, request.query.accountId);
      return activeMetrics(db, cache, projectId, { ...dateRange(request.query, 30), accountId: request.query.accountId, asOf: request.query.asOf });
    },
  });
};
