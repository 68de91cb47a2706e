import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { HttpError } from './errors.ts';

/** `/healthz`: the process answers. `/readyz`: it can reach its database (load balancers route on it). */
export const healthRoutes: FastifyPluginAsync<{ db: Kysely<Database>; retryAfterSeconds: number }> = async (app, { db, retryAfterSeconds }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await sql`select 1`.execute(db);
    } catch {
      throw new HttpError(503, 'storage_unavailable', 'the database cannot be reached', { headers: { 'retry-after': String(retryAfterSeconds) } });
    }
    return { status: 'ready' };
  });
};
