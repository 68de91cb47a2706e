import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** OpenAPI 3.1 generated from the routes' zod schemas, served at `GET /docs/json`. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Uptake API', version: '1.0.0', description: 'Ingestion, query and widget API of Uptake.' },
      components: {
        securitySchemes: {
          writeKey: { type: 'http', scheme: 'bearer', description: 'The project write key (ingestion, widgets). Basic auth with the key as user also works.' },
          secretKey: { type: 'http', scheme: 'bearer', description: 'The project secret key (query API).' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
