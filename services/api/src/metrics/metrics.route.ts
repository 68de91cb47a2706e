import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../http/errors.ts';
import { metricsAccess } from './metrics-access.ts';
import type { Metrics } from './metrics.ts';

export type MetricsRouteOptions = { metrics: Metrics; token: string | undefined };

const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/**
 * `GET /metrics`: the app's Prometheus metrics (docs/operations.md), an operator route kept out
 * of the public API's OpenAPI. Answered to direct loopback clients, and to others only with the
 * operator's token (metrics-access.ts).
 */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics, token }) => {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const access = metricsAccess(
      {
        remoteAddress: request.socket.remoteAddress,
        forwarded: FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined),
        authorization: request.headers.authorization,
      },
      token,
    );
    if (!access.allowed) {
      throw new HttpError(access.status, access.error, access.message, {
        ...(access.status === 401 ? { path: 'authorization' } : {}),
        headers: access.status === 401 ? { 'www-authenticate': 'Bearer realm="uptake-metrics"' } : {},
      });
    }
    const registry = metrics.scrapeRegistry();
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
  });
};
