import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { openStore, type Store } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { listenForChanges } from './derived/change-feed.ts';
import { createChangeTracker, type ChangeTracker } from './derived/change-tracker.ts';
import { dashboardRoutes } from './dashboard/dashboard.route.ts';
import { exampleRoutes } from './examples/examples.route.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/health.route.ts';
import { registerOpenApi } from './http/openapi.ts';
import { OneLinePerRequest } from './http/request-log.ts';
import { ingestionRoutes } from './ingestion/ingestion.route.ts';
import { queryRoutes } from './query/query.route.ts';
import { widgetRoutes } from './widgets/widgets.route.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    /** Which projects' figures changed: marked by ingestion, the rebuild and the change feed, read by the figure cache. */
    changeTracker: ChangeTracker;
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
export async function buildApp(config: Config, options: { logger?: Logger } = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? pino({ level: config.logLevel });
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
  });
  // One per app: two apps in one process (tests) never share cached figures' versions.
  const changeTracker = createChangeTracker();
  // Other instances sharing a Postgres (and `uptake rebuild`) announce what they changed.
  const changes = config.database.kind === 'postgres' ? await listenForChanges(config.database.url, changeTracker, logger) : undefined;
  app.decorate('store', store);
  app.decorate('changeTracker', changeTracker);
  app.addHook('onClose', async () => {
    await changes?.close();
    await store.close();
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, config.retryAfterSeconds);
  await registerOpenApi(app);

  await app.register(healthRoutes, { db: store.db, retryAfterSeconds: config.retryAfterSeconds });
  await app.register(ingestionRoutes, {
    db: store.db,
    rateLimitPerSecond: config.rateLimitPerSecond,
    rateLimitBurst: config.rateLimitBurst,
    writers: config.database.kind === 'pglite' ? 1 : Math.min(2, config.database.poolSize),
    changeTracker,
    announceChanges: config.database.kind === 'postgres',
    maxEventNames: config.maxEventNamesPerProject,
  });
  await app.register(queryRoutes, { db: store.db, dataVersions: changeTracker, figureMaxStalenessMs: config.figureMaxStalenessMs, figureCacheMaxBytes: config.figureCacheMaxBytes, warmFigures: config.warmFigures ?? false });
  await app.register(widgetRoutes, { db: store.db });
  await app.register(dashboardRoutes);
  // The example pages hand out a demo user's userHash: only when asked for (`uptake start`, `--examples`).
  if (config.examples) await app.register(exampleRoutes, { db: store.db, keysDir: config.database.kind === 'pglite' ? config.database.dataDir : '.uptake' });
  await app.ready();
  return app;
}
