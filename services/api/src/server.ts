import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';

/**
 * Listens, and on SIGTERM/SIGINT stops accepting connections, lets in-flight requests finish
 * (an acknowledged batch is committed before its 200), then closes the store.
 */
export async function startServer(config: Config, onListening?: (app: FastifyInstance, url: string) => Promise<void> | void): Promise<FastifyInstance> {
  const app = await buildApp(config);
  const url = await app.listen({ host: config.host, port: config.port });
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await onListening?.(app, url);
  return app;
}
