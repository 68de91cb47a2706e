import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { asOfQuerySchema, dateRangeQuerySchema, npsAnswerSchema } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { dateRange } from './date-range.ts';
import type { FigureCache } from './figure-cache.ts';
import { npsSummary } from './nps.queries.ts';
import { mustHaveAccount } from './route-lookups.ts';
import { errors, security } from './route-schema.ts';

export type NpsRoutesOptions = { db: Kysely<Database>; cache: FigureCache };

/** `GET /v1/nps`: the Net Promoter Score of the project or one account over a window. */
export const npsRoutes: FastifyPluginAsync<NpsRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/nps', {
    schema: {
      summary: 'Net Promoter Score over a window (default: the 90 days to today)',
      tags: ['nps'],
      security,
      querystring: dateRangeQuerySchema.extend(asOfQuerySchema.shape),
      response: { 200: npsAnswerSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      if (request.query.accountId !== undefined) await mustHaveAccount(db, projectId, request.query.accountId);
      const window = dateRange({ from: request.query.from, to: request.query.to ?? request.query.asOf }, 90);
      return npsSummary(db, cache, projectId, { ...window, asOf: request.query.asOf ?? window.to, accountId: request.query.accountId });
    },
  });
};
