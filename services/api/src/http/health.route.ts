import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from './errors.ts';

type HealthRoutesOptions = {
  db: Kysely<Database>;
  retryAfterSeconds: number;
  /** True while the instance should get no traffic yet: its figures are being warmed (`UPTAKE_READY_WHEN_WARM`). */
  warming?: () => boolean;
};

/**
 * `/healthz`: the process answers. `/readyz`: it can reach its database, and, when asked to wait
 * for it, has warmed its figures (load balancers route on it).
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { db, retryAfterSeconds, warming }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    if (warming?.()) throw new HttpError(503, 'warming_up', 'the figures are being computed after the start', { headers: { 'retry-after': '1' } });
    try {
      await sql`select 1`.execute(db);
    } catch {
      throw new HttpError(503, 'storage_unavailable', 'the database cannot be reached', { headers: { 'retry-after': String(retryAfterSeconds) } });
    }
    return { status: 'ready' };
  });
};
