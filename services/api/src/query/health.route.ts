import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { accountHealthSchema, accountParamsSchema, healthModelListSchema, healthModelSchema, healthQuerySchema, healthSeriesQuerySchema, healthSeriesSchema, newHealthModelSchema, type HealthModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { dayCount, daysBetween, today } from '../domain/days.ts';
import { HttpError } from '../http/errors.ts';
import { dateRange } from './date-range.ts';
import { createHealthModel, findHealthModel, listHealthModels } from './health-models.queries.ts';
import { accountHealth, accountHealthSeries } from './health-series.queries.ts';
import { mustHaveAccount, scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { segmentThresholds } from './segments.queries.ts';

/** The most days one health series may span (the series reads every day's score table and the account's rows of every window it covers). */
export const MAX_HEALTH_SERIES_DAYS = 31;

/** The health model a request names (the active one without `version`); an unknown version is a 400 naming `version`. */
async function healthModelFor(db: Kysely<Database>, projectId: string, version: number | undefined): Promise<HealthModel> {
  const model = await findHealthModel(db, projectId, version);
  if (!model) throw new HttpError(400, 'unknown_health_model', `version: this project has no health model version ${version}`, { path: 'version' });
  return model;
}

/**
 * The health routes (docs/api.md, Health): the versions of the project's health model, an
 * account's health as of a day and its daily series. Registered inside the query routes, so the
 * secret key guards them.
 */
export const healthRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['health'];

  typed.get('/v1/health-models', {
    schema: { summary: 'Versions of the health model', tags, security, response: { 200: healthModelListSchema, ...errors } },
    handler: async (request) => ({ models: await listHealthModels(db, request.project.projectId) }),
  });
  typed.post('/v1/health-models', {
    schema: { summary: 'Make a new health model version (active, or shadow with activate: false)', tags, security, body: newHealthModelSchema, response: { 201: healthModelSchema, ...errors } },
    handler: async (request, reply) => reply.status(201).send(await createHealthModel(db, request.project.projectId, request.body)),
  });

  const modelsFor = async (projectId: string, query: { model?: number | undefined; version?: number | undefined }) => {
    const [score, health, thresholds] = await Promise.all([scoreModelFor(db, projectId, query.model), healthModelFor(db, projectId, query.version), segmentThresholds(db, projectId)]);
    return { score, health, thresholds };
  };

  typed.get('/v1/accounts/:accountId/health', {
    schema: { summary: "An account's health score with its components", tags, security, params: accountParamsSchema, querystring: healthQuerySchema, response: { 200: accountHealthSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const { accountId } = request.params;
      const models = await modelsFor(projectId, request.query);
      await mustHaveAccount(db, projectId, accountId);
      const asOf = request.query.asOf ?? today();
      const health = await accountHealth(db, cache, projectId, models, accountId, asOf);
      return { accountId, asOf, healthModel: { version: models.health.version }, model: { version: models.score.version }, ...health };
    },
  });

  typed.get('/v1/accounts/:accountId/health/series', {
    schema: {
      summary: `An account's health score per day (at most ${MAX_HEALTH_SERIES_DAYS} days)`,
      tags,
      security,
      params: accountParamsSchema,
      querystring: healthSeriesQuerySchema,
      response: { 200: healthSeriesSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { accountId } = request.params;
      const range = dateRange(request.query, 30);
      if (dayCount(range.from, range.to) > MAX_HEALTH_SERIES_DAYS) {
        throw new HttpError(400, 'invalid_request', `from: at most ${MAX_HEALTH_SERIES_DAYS} days from … to`, { path: 'from' });
      }
      const models = await modelsFor(projectId, request.query);
      await mustHaveAccount(db, projectId, accountId);
      const days = await accountHealthSeries(db, cache, projectId, models, accountId, daysBetween(range.from, range.to));
      return { accountId, healthModel: { version: models.health.version }, model: { version: models.score.version }, days };
    },
  });
};
