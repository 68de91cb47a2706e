import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { accountParamsSchema, deletionParamsSchema, deletionQuerySchema, deletionReceiptSchema, errorResponseSchema, userParamsSchema } from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import type { DeletionSubjectKind } from '../db/tables/deletions.table.ts';
import { HttpError } from '../http/errors.ts';
import type { DeletionWorker } from './deletion-worker.ts';
import { deletionReceipt, requestDeletion, type DeletionReceipt } from './deletions.queries.ts';

export type DeletionRoutesOptions = {
  db: Kysely<Database>;
  auth: Auth;
  worker: DeletionWorker;
  /** How long a DELETE waits for its deletion to complete before answering 202 (ms). */
  waitMs: number;
};

const security = [{ secretKey: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
const tags = ['privacy'];

/**
 * `DELETE /v1/users/:userId`, `DELETE /v1/accounts/:accountId` and `GET /v1/deletions/:deletionId`
 * (secret key; docs/privacy.md). A DELETE records the request, then waits up to `waitMs` for the
 * worker: 200 with the completed receipt, or 202 with the running one (poll its Location).
 */
export const deletionRoutes: FastifyPluginAsync<DeletionRoutesOptions> = async (app, { db, auth, worker, waitMs }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', secretKeyAuthenticator(auth));

  const remove = async (projectId: string, subject: DeletionSubjectKind, id: string, allowReturn: boolean): Promise<DeletionReceipt> => {
    const deletionId = await requestDeletion(db, projectId, subject, id, allowReturn);
    worker.nudge();
    await worker.waitFor(deletionId, waitMs);
    return (await deletionReceipt(db, projectId, deletionId))!;
  };
  const answer = (receipt: DeletionReceipt, reply: { status(code: number): unknown; header(name: string, value: string): unknown }) => {
    reply.header('location', `/v1/deletions/${receipt.deletionId}`);
    reply.status(receipt.status === 'completed' ? 200 : 202);
    return receipt;
  };

  typed.delete('/v1/users/:userId', {
    schema: {
      summary: 'Delete a user: their ids, traits and event details; their figures stay under a pseudonym',
      tags,
      security,
      params: userParamsSchema,
      querystring: deletionQuerySchema,
      response: { 200: deletionReceiptSchema, 202: deletionReceiptSchema, ...errors },
    },
    handler: async (request, reply) => answer(await remove(request.project.projectId, 'user', request.params.userId, request.query.allowReturn), reply),
  });

  typed.delete('/v1/accounts/:accountId', {
    schema: {
      summary: 'Delete an account: its id, traits and mentions; its figures stay under a pseudonym',
      tags,
      security,
      params: accountParamsSchema,
      querystring: deletionQuerySchema,
      response: { 200: deletionReceiptSchema, 202: deletionReceiptSchema, ...errors },
    },
    handler: async (request, reply) => answer(await remove(request.project.projectId, 'account', request.params.accountId, request.query.allowReturn), reply),
  });

  typed.get('/v1/deletions/:deletionId', {
    schema: { summary: "A deletion's receipt", tags, security, params: deletionParamsSchema, response: { 200: deletionReceiptSchema, ...errors } },
    handler: async (request) => {
      const receipt = await deletionReceipt(db, request.project.projectId, request.params.deletionId);
      if (!receipt) throw new HttpError(404, 'not_found', `deletionId: no deletion ${request.params.deletionId} in this project`, { path: 'deletionId' });
      return receipt;
    },
  });
};
