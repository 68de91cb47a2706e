import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Auth } from '../auth/authenticate.ts';
import type { Database } from '../db/database.ts';
import { createFigureCache, DEFAULT_FIGURE_CACHE_BYTES, type DataVersions } from '../query/figure-cache.ts';
import { campaignRoutes } from './campaigns.route.ts';
import { messageRoutes } from './messages.route.ts';

export type CampaignApiOptions = {
  db: Kysely<Database>;
  auth: Auth;
  dataVersions: DataVersions;
  /** As the query API's (UPTAKE_FIGURE_MAX_STALENESS_MS). */
  figureMaxStalenessMs: number;
  /** The query API's bound; the campaigns' own figure cache takes a quarter of it. */
  figureCacheMaxBytes?: number | undefined;
};

/**
 * Every campaigns route (docs/campaigns.md): the secret-key routes and the widget route, sharing
 * one figure cache for the segment facts their decisions read.
 */
export const campaignApi: FastifyPluginAsync<CampaignApiOptions> = async (app, { db, auth, dataVersions, figureMaxStalenessMs, figureCacheMaxBytes }) => {
  const cache = createFigureCache({ versions: dataVersions, maxStalenessMs: figureMaxStalenessMs, maxBytes: Math.round((figureCacheMaxBytes ?? DEFAULT_FIGURE_CACHE_BYTES) / 4) });
  await app.register(campaignRoutes, { db, auth, cache });
  await app.register(messageRoutes, { db, auth, cache });
};
