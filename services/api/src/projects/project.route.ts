import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { errorResponseSchema, keyRotationInputSchema, keyRotationSchema, projectInfoSchema, projectSettingsUpdateSchema } from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import { rotateKey } from './key-rotation.ts';
import { readProjectInfo, updateProjectSettings } from './project-settings.ts';

export type ProjectRoutesOptions = { db: Kysely<Database>; auth: Auth };

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 429: errorResponseSchema };

/**
 * The secret-key holder's project settings (docs/security.md): `GET|PATCH /v1/project` (allowed
 * origins, requireUserHash, key ages; never a secret) and `POST /v1/project/keys/rotate`. A change
 * holds at once on this instance (its key cache forgets the project) and on others within the
 * key cache's time to live.
 */
export const projectRoutes: FastifyPluginAsync<ProjectRoutesOptions> = async (app, { db, auth }) => {
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ secretKey: [] }];
  const info = async (projectId: string) => {
    const found = await readProjectInfo(db, projectId);
    if (!found) throw new HttpError(401, 'invalid_secret_key', 'this project no longer exists');
    return found;
  };

  typed.get('/v1/project', {
    schema: { summary: "The project's settings and key ages (no secrets)", tags: ['project'], security, response: { 200: projectInfoSchema, ...errors } },
    handler: async (request) => info(request.project.projectId),
  });

  typed.patch('/v1/project', {
    schema: {
      summary: "Change the project's allowed origins, requireUserHash or retentionDays",
      description: 'Fields left out stay as they are. Answers the settings now in force.',
      tags: ['project'],
      security,
      body: projectSettingsUpdateSchema,
      response: { 200: projectInfoSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      await updateProjectSettings(db, projectId, request.body);
      auth.keys.invalidate(projectId);
      return info(projectId);
    },
  });

  typed.post('/v1/project/keys/rotate', {
    schema: {
      summary: 'Replace a key; the old one keeps working for the overlap',
      description: 'Answers the new key, shown this once. The old key stops working after overlapHours (default 24, 0: at once).',
      tags: ['project'],
      security,
      body: keyRotationInputSchema,
      response: { 200: keyRotationSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const rotation = await rotateKey(db, projectId, request.body.kind, request.body.overlapHours);
      if (!rotation) throw new HttpError(401, 'invalid_secret_key', 'this project no longer exists');
      auth.keys.invalidate(projectId);
      return rotation;
    },
  });
};
