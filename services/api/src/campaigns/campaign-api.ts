import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Auth } from '../auth/authenticate.ts';
import type { Database } from '../db/database.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { campaignRoutes } from './campaigns.route.ts';
import { messageRoutes } from './messages.route.ts';

export type CampaignApiOptions = {
  db: Kysely<Database>;
  auth: Auth;
  /** The app's figure cache (shared with the query API) for the segment facts the decisions read. */
  cache: FigureCache;
};

/** Every campaigns route (docs/campaigns.md): the secret-key routes and the widget route. */
export const campaignApi: FastifyPluginAsync<CampaignApiOptions> = async (app, { db, auth, cache }) => {
  await app.register(campaignRoutes, { db, auth, cache });
  await app.register(messageRoutes, { db, auth, cache });
};
