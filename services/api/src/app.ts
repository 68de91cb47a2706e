import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { createAuth } from './auth/authenticate.ts';
import { openStore, type Store } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { listenForChanges } from './derived/change-feed.ts';
import { createChangeTracker, type ChangeTracker } from './derived/change-tracker.ts';
import { today } from './domain/days.ts';
import { campaignApi } from './campaigns/campaign-api.ts';
import { dashboardRoutes } from './dashboard/dashboard.route.ts';
import { exampleRoutes } from './examples/examples.route.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { isStorageUnavailable } from './http/errors.ts';
import { healthRoutes } from './http/health.route.ts';
import { registerOpenApi } from './http/openapi.ts';
import { redactingLogger } from './http/redact.ts';
import { OneLinePerRequest } from './http/request-log.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { metricsRoute } from './metrics/metrics.route.ts';
import { DEFAULT_EXPORT_STALL_MS, exportRoutes } from './privacy/export.route.ts';
import { projectRoutes } from './projects/project.route.ts';
import { ingestionRoutes } from './ingestion/ingestion.route.ts';
import { createRetentionWorker, retentionSettings } from './privacy/retention-worker.ts';
import { createScorePointsWorker, DEFAULT_SCORE_POINTS_SETTINGS, type ScorePointsWorker } from './derived/score-points-worker.ts';
import { createDeletionWorker, DEFAULT_DELETION_SETTINGS } from './privacy/deletion-worker.ts';
import { deletionRoutes } from './privacy/deletions.route.ts';
import { segmentHistoryRoutes } from './plays/segment-history.route.ts';
import { createSegmentWatcher, type SegmentWatcher } from './plays/segment-watcher.ts';
import { createFigureCache, DEFAULT_FIGURE_CACHE_BYTES } from './query/figure-cache.ts';
import { queryRoutes } from './query/query.route.ts';
import { warmedFiguresDropped, warmFigures } from './query/warm-figures.ts';
import { deliveryBacklog } from './webhooks/backlog.queries.ts';
import { createDispatcher } from './webhooks/dispatcher.ts';
import { webhookSettings } from './webhooks/settings.ts';
import { webhookRoutes } from './webhooks/webhooks.route.ts';
import { widgetRoutes } from './widgets/widgets.route.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    /** Which projects' figures changed: marked by ingestion, the rebuild and the change feed, read by the figure cache. */
    changeTracker: ChangeTracker;
    /** Records segment entries and exits (docs/plays.md); null when `segmentWatch` is off. */
    segmentWatcher: SegmentWatcher | null;
    /** Fills the kept score points of new model versions (docs/architecture.md, "Scores at scale"). */
    scorePoints: ScorePointsWorker;
    /** This app's Prometheus registry and instruments (`GET /metrics`, docs/operations.md). */
    metrics: Metrics;
    /** Computes the figures readers ask first into the app's figure cache (query/warm-figures.ts), e.g. once a load has ended; a failure is logged, never thrown. */
    warmFigures: (asOf?: string) => Promise<void>;
  }
}

/**
 * Builds the Uptake service without listening: opens and migrates the store, wires every route.
 * Closing the app closes the store.
 *
 * @example
 * const app = await buildApp(loadConfig(process.env));
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 * await app.close();
 */
/** Believe X-Forwarded-For for this many proxies in front of the service. */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

export async function buildApp(config: Config, options: { logger?: Logger } = {}): Promise<FastifyInstance> {
  // Keys, hashes and tokens never reach a log line (docs/security.md).
  const logger = redactingLogger(options.logger ?? pino({ level: config.logLevel }));
  const store = await openStore(config.database, (error) => logger.warn({ err: error }, 'idle database connection lost'));
  try {
    await migrateToLatest(store.db);
  } catch (error) {
    await store.close();
    throw error;
  }

  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    // The client address failed-auth throttling counts by (docs/security.md).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : (config.trustProxy ?? false),
    // A path Fastify cannot decode (bad percent-encoding, a lone surrogate) gets our error shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).status(400).send({ error: 'invalid_url', message: `the URL cannot be decoded: ${error.message}` });
    },
  });
  // One per app: two apps in one process (tests) never share cached figures' versions.
  const changeTracker = createChangeTracker();
  // One registry per app as well: nothing goes to prom-client's global registry.
  const metrics = createMetrics();
  metrics.poolFrom(config.database.kind, store.pool);
  metrics.webhookBacklogFrom(() => deliveryBacklog(store.db));
  // Other instances sharing a Postgres (and `uptake rebuild`) announce what they changed.
  const changes = config.database.kind === 'postgres' ? await listenForChanges(config.database.url, changeTracker, logger) : undefined;
  // Webhook deliveries (docs/webhooks.md): sent by this app's dispatcher unless the config turns it off.
  const webhooks = webhookSettings(config.webhooks);
  const dispatcher = createDispatcher(store.db, webhooks, logger, metrics.webhooks);
  // Raw events past each project's retentionDays (docs/privacy.md): expired by this app unless the config turns it off.
  const retention = retentionSettings(config.retention);
  const retentionWorker = createRetentionWorker(store.db, retention, logger);
  // Deletions (docs/privacy.md): run by this app's worker unless the config turns it off.
  const { waitMs: deletionWaitMs = 5000, ...deletionSettings } = config.deletions ?? {};
  const deletionWorker = createDeletionWorker(store.db, { ...DEFAULT_DELETION_SETTINGS, ...deletionSettings }, { changeTracker, announceChanges: config.database.kind === 'postgres', log: logger });
  // Score points of new model versions (docs/architecture.md, "Scores at scale"): filled by this app unless the config turns it off.
  const scorePoints = { ...DEFAULT_SCORE_POINTS_SETTINGS, ...config.scorePoints };
  const scorePointsWorker = createScorePointsWorker(store.db, scorePoints, logger);
  app.decorate('store', store);
  app.decorate('changeTracker', changeTracker);
  app.decorate('scorePoints', scorePointsWorker);
  app.decorate('metrics', metrics);
  app.addHook('onClose', async () => {
    await scorePointsWorker.close();
    await deletionWorker.close();
    await dispatcher.close();
    await retentionWorker.close();
    await changes?.close();
    await store.close();
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, config.retryAfterSeconds, store.busy);
  await registerOpenApi(app);

  // One key cache and one set of limits for every route family (docs/security.md).
  const auth = createAuth(store.db, {
    ingestion: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    query: { perSecond: config.queryRateLimitPerSecond ?? 0, burst: config.queryRateLimitBurst ?? 1 },
    widgets: { perSecond: config.widgetRateLimitPerSecond ?? 0, burst: config.widgetRateLimitBurst ?? 1 },
    authFailures: { perSecond: config.authFailuresPerSecond ?? 0, burst: config.authFailureBurst ?? 1 },
    ...(config.keyCacheTtlMs !== undefined ? { keyCache: { ttlMs: config.keyCacheTtlMs } } : {}),
  }, metrics.rateLimits);
  // Until the start's warm-up has ended, when asked to wait for it (UPTAKE_READY_WHEN_WARM).
  let warming = (config.warmFigures ?? false) && (config.readyWhenWarm ?? false);
  await app.register(healthRoutes, { db: store.db, retryAfterSeconds: config.retryAfterSeconds, warming: () => warming });
  await app.register(metricsRoute, { metrics, token: config.metricsToken });
  await app.register(ingestionRoutes, {
    db: store.db,
    auth,
    writers: config.database.kind === 'pglite' ? 1 : Math.min(2, config.database.poolSize),
    changeTracker,
    announceChanges: config.database.kind === 'postgres',
    maxEventNames: config.maxEventNamesPerProject,
    storeIp: config.storeIp ?? false,
    metrics,
  });
  // One figure cache for the query API, the campaigns and the segment watcher: a figure one of
  // them computed serves the others, and a new event is computed into it once (docs/api.md, "Operations").
  const figures = createFigureCache({
    versions: changeTracker,
    maxStalenessMs: config.figureMaxStalenessMs,
    ...(config.figureCacheMaxBytes === undefined ? {} : { maxBytes: config.figureCacheMaxBytes }),
    metrics: metrics.figures('query'),
  });
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
  });
  const warmUp = async (asOf = today()) => {
    const started = Date.now();
    for (;;) {
      try {
        await warmFigures(store.db, figures, asOf);
        break;
      } catch (error) {
        // A connection not had within the pool's limit (at 100 M events the warm-up's reads beside
        // the segment watcher's held every one) or the database out of reach: tried again, going on
        // from the figures already in the cache, so /readyz does not say ready while none is warm.
        if (stopping) return;
        if (!isStorageUnavailable(error)) {
          logger.warn({ err: error }, 'warming figures failed; they are computed when first asked');
          return;
        }
        logger.warn({ err: error }, 'warming figures: the database was busy or out of reach; trying again in 1 s');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    logger.info({ ms: Date.now() - started }, 'figures warmed');
    // Too small a bound drops what the warm-up computed: the first calls then wait for it (docs/deploy.md, capacity).
    const dropped = warmedFiguresDropped(figures, started, config.figureCacheMaxBytes ?? DEFAULT_FIGURE_CACHE_BYTES);
    if (dropped) logger.warn(dropped, `the figure cache dropped ${dropped.dropped} of the figures just warmed: raise UPTAKE_FIGURE_CACHE_MB from ${dropped.cacheMb} to about ${dropped.suggestedMb}`);
  };
  app.decorate('warmFigures', warmUp);
  const warmedUp = () => {
    warming = false;
  };
  await app.register(queryRoutes, { db: store.db, auth, cache: figures, ...(config.warmFigures ? { warm: warmUp } : {}), onWarmedUp: warmedUp });
  await app.register(segmentHistoryRoutes, { db: store.db, auth });
  await app.register(widgetRoutes, { db: store.db, auth, metrics: metrics.widgets });
  await app.register(campaignApi, { db: store.db, auth, cache: figures });
  // An export holds a connection until it ends: on PGlite (one connection) one at a time, on
  // Postgres at most half the pool, so ingestion and queries always have connections left.
  await app.register(exportRoutes, { db: store.db, auth, maxConcurrent: config.database.kind === 'pglite' ? 1 : Math.max(1, Math.floor(config.database.poolSize / 2)), stallMs: config.exportStallMs ?? DEFAULT_EXPORT_STALL_MS });
  await app.register(projectRoutes, { db: store.db, auth });
  await app.register(webhookRoutes, { db: store.db, auth, allowPrivate: webhooks.allowPrivate, nudge: dispatcher.nudge });
  await app.register(deletionRoutes, { db: store.db, auth, worker: deletionWorker, waitMs: deletionWaitMs });
  await app.register(dashboardRoutes);
  // The example pages hand out a demo user's userHash: only when asked for (`uptake start`, `--examples`).
  if (config.examples) await app.register(exampleRoutes, { db: store.db, keysDir: config.database.kind === 'pglite' ? config.database.dataDir : '.uptake' });
  // The shared figures, read current (docs/plays.md).
  const segmentWatcher = config.segmentWatch
    ? createSegmentWatcher({
        db: store.db,
        changeTracker,
        log: logger,
        ...(config.segmentWatchPollMs !== undefined ? { pollMs: config.segmentWatchPollMs } : {}),
        cache: figures,
      })
    : null;
  app.decorate('segmentWatcher', segmentWatcher);
  if (segmentWatcher) {
    app.addHook('onReady', async () => segmentWatcher.start());
    // Before the store closes (onClose): a check in flight gives up first, waited for at most 3 s.
    app.addHook('preClose', async () => segmentWatcher.stop());
  }
  await app.ready();
  if (webhooks.dispatch) dispatcher.start();
  if (retention.run) retentionWorker.start();
  if (scorePoints.run) scorePointsWorker.start();
  deletionWorker.start();
  return app;
}
