import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { today } from '../domain/days.ts';
import { accountRoutes } from './accounts.route.ts';
import type { FigureCache } from './figure-cache.ts';
import { groupRoutes } from './groups.route.ts';
import { healthRoutes } from './health.route.ts';
import { metricsRoutes } from './metrics.route.ts';
import { npsRoutes } from './nps.route.ts';
import { retentionRoutes } from './retention-cohorts.route.ts';
import { scoreChangeRoutes } from './score-changes.route.ts';
import { scoreModelCompareRoutes } from './score-model-compare.route.ts';
import { scoreModelRoutes } from './score-models.route.ts';
import { scoreRoutes } from './scores.route.ts';
import { segmentRoutes } from './segments.route.ts';
import { userRoutes } from './users.route.ts';

export type QueryRoutesOptions = {
  db: Kysely<Database>;
  auth: Auth;
  /** The app's figure cache (query/figure-cache.ts), shared with the campaigns and the segment watcher. */
  cache: FigureCache;
  /** Computes the headline figures of every project as of a day (query/warm-figures.ts; it never throws): run in the background at start and on each new UTC day. */
  warm?: (asOf: string) => Promise<void>;
  /** Called once the first warm-up (at start) has ended, whether it finished or failed. */
  onWarmedUp?: () => void;
};

/**
 * The query API (secret key): authenticates every request, then registers one route file per
 * resource (users, accounts, scores, metrics, NPS, segments, score models) with the figure cache
 * they share. Figures come from the derived tables ingestion keeps up to date, never from a scan
 * of raw events.
 */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, { db, auth, cache, warm, onWarmedUp }) => {
  if (warm) {
    let warmedFor = '';
    let timer: NodeJS.Timeout | undefined;
    const warmOnNewDay = async () => {
      if (warmedFor === today()) return;
      warmedFor = today();
      await warm(warmedFor);
    };
    app.addHook('onReady', async () => {
      void warmOnNewDay().then(onWarmedUp);
      timer = setInterval(() => void warmOnNewDay(), 60_000).unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  await app.register(userRoutes, { db, cache });
  await app.register(accountRoutes, { db, cache });
  await app.register(scoreRoutes, { db, cache });
  await app.register(metricsRoutes, { db, cache });
  await app.register(npsRoutes, { db, cache });
  await app.register(segmentRoutes, { db, cache });
  await app.register(scoreModelRoutes, { db });
  await app.register(groupRoutes, { db, cache });
  await app.register(retentionRoutes, { db, cache });
  await app.register(scoreModelCompareRoutes, { db, cache });
  await app.register(healthRoutes, { db, cache });
  await app.register(scoreChangeRoutes, { db, cache });
};
