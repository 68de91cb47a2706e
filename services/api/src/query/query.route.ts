import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import {
  accountScoreSchema,
  activeMetricsSchema,
  dateRangeQuerySchema,
  errorResponseSchema,
  newScoreModelSchema,
  npsAnswerSchema,
  rankedAccountsSchema,
  rankedScoresQuerySchema,
  rankedUsersSchema,
  scoreModelListSchema,
  scoreModelSchema,
  scoreQuerySchema,
  asOfQuerySchema,
  userScoreSchema,
  utilisationSchema,
  type ScoreModel,
  userParamsSchema,
  accountParamsSchema,
} from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { addDays, dayCount, today, windowOf } from '../domain/days.ts';
import { HttpError } from '../http/errors.ts';
import { accountRoutes } from './accounts.route.ts';
import { createFigureCache, type DataVersions } from './figure-cache.ts';
import { warmFigures } from './warm-figures.ts';
import { activeMetrics, accountUtilisation } from './metrics.queries.ts';
import { npsSummary } from './nps.queries.ts';
import { createScoreModel, findScoreModel, listScoreModels } from './score-models.queries.ts';
import { segmentRoutes } from './segments.route.ts';
import { accountExists, accountScore, accountScoreTable, InvalidCursorError, rankedPage, userExists, userScore, userScoreTable } from './scores.queries.ts';

export type QueryRoutesOptions = {
  db: Kysely<Database>;
  auth: Auth;
  /** Whether a project's data changed since a figure was computed: the app's change tracker. */
  dataVersions: DataVersions;
  figureMaxStalenessMs: number;
  /** Estimated bytes the cached figures may take (default DEFAULT_FIGURE_CACHE_BYTES). */
  figureCacheMaxBytes?: number | undefined;
  /** Compute the headline figures of every project in the background at start and each new UTC day. */
  warmFigures?: boolean;
};

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
const MAX_RANGE_DAYS = 400;

/**
 * The query API (secret key): scores, active users, utilisation, NPS and score models. Figures
 * come from the derived tables ingestion keeps up to date, never from a scan of raw events.
 */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, { db, auth, dataVersions, figureMaxStalenessMs, figureCacheMaxBytes, warmFigures: warm = false }) => {
  const cache = createFigureCache({ versions: dataVersions, maxStalenessMs: figureMaxStalenessMs, ...(figureCacheMaxBytes === undefined ? {} : { maxBytes: figureCacheMaxBytes }) });
  if (warm) {
    let warmedFor = '';
    let timer: NodeJS.Timeout | undefined;
    const warmOnNewDay = () => {
      if (warmedFor === today()) return;
      warmedFor = today();
      const started = Date.now();
      warmFigures(db, cache, warmedFor).then(
        () => app.log.info({ ms: Date.now() - started }, 'figures warmed'),
        (error: unknown) => app.log.warn({ err: error }, 'warming figures failed; they are computed when first asked'),
      );
    };
    app.addHook('onReady', async () => {
      warmOnNewDay();
      timer = setInterval(warmOnNewDay, 60_000).unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ secretKey: [] }];
  await app.register(segmentRoutes, { db, cache });
  await app.register(accountRoutes, { db, cache });

  const modelFor = async (projectId: string, version: number | undefined): Promise<ScoreModel> => {
    const model = await findScoreModel(db, projectId, version);
    if (!model) throw new HttpError(400, 'unknown_model', `model: this project has no score model version ${version}`, { path: 'model' });
    return model;
  };
  const mustHaveUser = async (projectId: string, userId: string) => {
    if (!(await userExists(db, projectId, userId))) throw new HttpError(404, 'user_not_found', `no user "${userId}" in this project`);
  };
  const mustHaveAccount = async (projectId: string, accountId: string) => {
    if (!(await accountExists(db, projectId, accountId))) throw new HttpError(404, 'account_not_found', `no account "${accountId}" in this project`);
  };
  const range = (query: { from?: string | undefined; to?: string | undefined }, defaultDays: number) => {
    const to = query.to ?? today();
    const from = query.from ?? addDays(to, -(defaultDays - 1));
    if (from > to) throw new HttpError(400, 'invalid_request', 'from: must not be after to', { path: 'from' });
    // Counted, not listed: nothing is built for a range that is refused.
    if (dayCount(from, to) > MAX_RANGE_DAYS) throw new HttpError(400, 'invalid_request', `from: at most ${MAX_RANGE_DAYS} days from … to`, { path: 'from' });
    return { from, to };
  };

  typed.get('/v1/users/:userId/score', {
    schema: { summary: "A user's engagement score", tags: ['scores'], security, params: userParamsSchema, querystring: scoreQuerySchema, response: { 200: userScoreSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const model = await modelFor(projectId, request.query.model);
      await mustHaveUser(projectId, request.params.userId);
      return userScore(db, cache, projectId, model, request.params.userId, request.query.asOf ?? today());
    },
  });

  typed.get('/v1/accounts/:accountId/score', {
    schema: { summary: "An account's engagement score", tags: ['scores'], security, params: accountParamsSchema, querystring: scoreQuerySchema, response: { 200: accountScoreSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const model = await modelFor(projectId, request.query.model);
      await mustHaveAccount(projectId, request.params.accountId);
      return accountScore(db, cache, projectId, model, request.params.accountId, request.query.asOf ?? today());
    },
  });

  const ranked = (kind: 'users' | 'accounts') => async (request: { project: { projectId: string }; query: z.output<typeof rankedScoresQuerySchema> }) => {
    const { projectId } = request.project;
    const model = await modelFor(projectId, request.query.model);
    const asOf = request.query.asOf ?? today();
    const table = await (kind === 'users' ? userScoreTable : accountScoreTable)(db, cache, projectId, model, asOf);
    try {
      const result = rankedPage(table, request.query);
      return { model: { version: model.version }, window: windowOf(asOf, model.windowDays), ...result };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new HttpError(400, 'invalid_request', `cursor: ${error.message}`, { path: 'cursor' });
      throw error;
    }
  };
  typed.get('/v1/scores/users', {
    schema: { summary: 'Users ranked by score', tags: ['scores'], security, querystring: rankedScoresQuerySchema, response: { 200: rankedUsersSchema, ...errors } },
    handler: async (request) => {
      const page = await ranked('users')(request);
      return { ...page, items: page.items.map(({ id, score, percentile }) => ({ userId: id, score, percentile })) };
    },
  });
  typed.get('/v1/scores/accounts', {
    schema: { summary: 'Accounts ranked by score', tags: ['scores'], security, querystring: rankedScoresQuerySchema, response: { 200: rankedAccountsSchema, ...errors } },
    handler: async (request) => {
      const page = await ranked('accounts')(request);
      return { ...page, items: page.items.map(({ id, score, percentile }) => ({ accountId: id, score, percentile })) };
    },
  });

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
      if (request.query.accountId !== undefined) await mustHaveAccount(projectId, request.query.accountId);
      return activeMetrics(db, cache, projectId, { ...range(request.query, 30), accountId: request.query.accountId, asOf: request.query.asOf });
    },
  });

  typed.get('/v1/accounts/:accountId/utilisation', {
    schema: { summary: 'Licence utilisation of an account', tags: ['metrics'], security, params: accountParamsSchema, querystring: asOfQuerySchema, response: { 200: utilisationSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      await mustHaveAccount(projectId, request.params.accountId);
      return accountUtilisation(db, projectId, request.params.accountId, request.query.asOf ?? today());
    },
  });

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
      if (request.query.accountId !== undefined) await mustHaveAccount(projectId, request.query.accountId);
      const window = range({ from: request.query.from, to: request.query.to ?? request.query.asOf }, 90);
      return npsSummary(db, cache, projectId, { ...window, asOf: request.query.asOf ?? window.to, accountId: request.query.accountId });
    },
  });

  typed.get('/v1/score-models', {
    schema: { summary: 'Versions of the score model', tags: ['score models'], security, response: { 200: scoreModelListSchema, ...errors } },
    handler: async (request) => ({ models: await listScoreModels(db, request.project.projectId) }),
  });
  typed.post('/v1/score-models', {
    schema: {
      summary: 'Make a new score model version (active, or shadow with activate: false)',
      tags: ['score models'],
      security,
      body: newScoreModelSchema,
      response: { 201: scoreModelSchema, ...errors },
    },
    handler: async (request, reply) => {
      const model = await createScoreModel(db, request.project.projectId, request.body);
      return reply.status(201).send(model);
    },
  });
};
