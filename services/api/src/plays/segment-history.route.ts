import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  accountParamsSchema,
  idParamSchema,
  memberSegmentHistorySchema,
  segmentChangesQuerySchema,
  segmentChangesSchema,
  segmentHistoryQuerySchema,
  userParamsSchema,
  type SegmentTransition,
  EXAMPLE_SEGMENT_KEY,
} from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { HttpError } from '../http/errors.ts';
import { decodeCursor, encodeCursor, pageAfter } from '../query/cursor-paging.ts';
import { dateRange } from '../query/date-range.ts';
import { mustHaveAccount, mustHaveUser } from '../query/route-lookups.ts';
import { errors, security } from '../query/route-schema.ts';
import { currentSegmentsOf, historySegment, memberHistory, segmentChanges } from './segment-history.queries.ts';

// The cursor is the id of the previous page's last transition.
const transitionCursor = (transition: SegmentTransition) => encodeCursor([transition.transitionId]);
const readTransitionCursor = (cursor: string) => decodeCursor(cursor, ([id]) => (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined));

/** One page of transitions fetched `limit + 1` at a time (the extra one says a next page exists). */
const pageOf = (fetched: SegmentTransition[], limit: number) => pageAfter(fetched, { limit, isAfter: undefined, cursorOf: transitionCursor });

export type SegmentHistoryRoutesOptions = { db: Kysely<Database>; auth: Auth };

/**
 * Segment history (docs/plays.md, docs/api.md): the entries and exits the segment watcher
 * recorded, per segment and per account or user. Secret key, as every query route.
 */
export const segmentHistoryRoutes: FastifyPluginAsync<SegmentHistoryRoutesOptions> = async (app, { db, auth }) => {
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['segments'];

  typed.get('/v1/segments/:key/changes', {
    schema: {
      summary: 'Who entered and left a segment on some days, in the order recorded',
      tags,
      security,
      params: z.object({ key: idParamSchema(300).meta({ examples: [EXAMPLE_SEGMENT_KEY] }) }),
      querystring: segmentChangesQuerySchema,
      response: { 200: segmentChangesSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { from: since, to: until } = dateRange({ from: request.query.since, to: request.query.until }, 30, { from: 'since', to: 'until' });
      const segment = await historySegment(db, projectId, request.params.key);
      if (!segment) throw new HttpError(404, 'segment_not_found', `no segment "${request.params.key}" (keys: GET /v1/segments)`);
      const after = request.query.cursor === undefined ? undefined : readTransitionCursor(request.query.cursor);
      const page = pageOf(await segmentChanges(db, projectId, segment.key, { since, until }, after, request.query.limit), request.query.limit);
      return { segment, since, until, ...page };
    },
  });

  const memberRoute = (of: 'accounts' | 'users') => async (projectId: string, id: string, query: z.output<typeof segmentHistoryQuerySchema>) => {
    // A bad parameter is a 400 whether or not the id exists.
    const after = query.cursor === undefined ? undefined : readTransitionCursor(query.cursor);
    if (of === 'accounts') await mustHaveAccount(db, projectId, id);
    else await mustHaveUser(db, projectId, id);
    const [current, fetched] = await Promise.all([currentSegmentsOf(db, projectId, of, id), memberHistory(db, projectId, of, id, after, query.limit)]);
    return { id, of, current, ...pageOf(fetched, query.limit) };
  };
  const accountHistory = memberRoute('accounts');
  const userHistory = memberRoute('users');

  typed.get('/v1/accounts/:accountId/segments/history', {
    schema: {
      summary: "An account's segment history: baselines, entries and exits, and the segments it is in",
      tags,
      security,
      params: accountParamsSchema,
      querystring: segmentHistoryQuerySchema,
      response: { 200: memberSegmentHistorySchema, ...errors },
    },
    handler: async (request) => accountHistory(request.project.projectId, request.params.accountId, request.query),
  });

  typed.get('/v1/users/:userId/segments/history', {
    schema: {
      summary: "A user's segment history: baselines, entries and exits, and the segments they are in",
      tags,
      security,
      params: userParamsSchema,
      querystring: segmentHistoryQuerySchema,
      response: { 200: memberSegmentHistorySchema, ...errors },
    },
    handler: async (request) => userHistory(request.project.projectId, request.params.userId, request.query),
  });
};
