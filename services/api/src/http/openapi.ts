import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { DASHBOARD_CSP } from '../dashboard/dashboard.route.ts';
import { addRequestExamples } from './openapi-examples.ts';

/**
 * The API reference's page security policy: the dashboard's (only this origin's scripts, styles,
 * images and API; no inline code, no eval). Swagger UI's page loads its scripts and styles as
 * files and sets styles through the CSSOM, so it needs no hash, nonce or `'unsafe-*'`: the one
 * inline `<style>` it would add is in the Swagger logo of its top bar, which the base layout
 * (below) leaves out.
 */
export const DOCS_CSP = DASHBOARD_CSP;

/**
 * OpenAPI 3.1 generated from the routes' zod schemas, with a request example for every route
 * (`openapi-examples.ts`): the JSON at `GET /docs/json` (and `/docs/yaml`), and the interactive
 * reference (Swagger UI, served from node_modules: nothing is loaded from another origin) at `GET /docs`.
 */
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
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      return { ...transformed, schema: addRequestExamples(transformed.schema) };
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Every answer under /docs, the page and its files alike, carries the strict policy.
    staticCSP: DOCS_CSP,
    // Unset, the plugin's validatorUrl is null: no call to the public validator service.
    uiConfig: { layout: 'BaseLayout', deepLinking: true, displayRequestDuration: true },
    theme: { title: 'Uptake API reference' },
  });
}
