import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { retentionQuerySchema, retentionSchema } from '@uptake/protocol';
import { addDays, today } from '../domain/days.ts';
import { dateRange } from './date-range.ts';
import { RETENTION_DEFAULT_DAYS, retention } from './retention-cohorts.queries.ts';
import { mustHaveAccountIfNamed } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';

/** `GET /v1/retention` (docs/api.md, "Retention cohorts"). Registered inside the query routes, so the secret key guards it. */
export const retentionRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/retention', {
    schema: {
      summary: 'Retention cohorts: users by the week or month first seen, and the share active in each later one',
      tags: ['metrics'],
      security,
      querystring: retentionQuerySchema,
      response: { 200: retentionSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { by, accountId } = request.query;
      const to = request.query.to ?? today();
      // At most 400 days, as every range (date-range.ts); a refused range names `from`.
      const { from } = dateRange({ from: request.query.from ?? addDays(to, -(RETENTION_DEFAULT_DAYS[by] - 1)), to }, RETENTION_DEFAULT_DAYS[by]);
      const cohorts = await retention(db, cache, projectId, { by, from, to, accountId });
      // Checked only without cohorts: an account whose users were seen exists, and a warm answer stays one read.
      if (cohorts.length === 0) await mustHaveAccountIfNamed(db, projectId, accountId);
      return { by, from, to, accountId: accountId ?? null, cohorts };
    },
  });
};
