import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { rankedAccountsSchema, rankedScoresQuerySchema, rankedUsersSchema } from '@uptake/protocol';
import { today, windowOf } from '../domain/days.ts';
import { percentileOf } from '../domain/score.ts';
import { decodeCursor, encodeCursor, pageAfter } from '../http/cursor-paging.ts';
import { scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { accountScoreTable, userScoreTable, type ScoreTable } from './scores.queries.ts';

type Ranked = { id: string; score: number };

// The cursor is the score and id of the previous page's last entry. The page starts after that
// position in the ranking, so an entry that moved since (new events) neither repeats nor hides
// the ones that did not move.
const cursorOf = (last: Ranked) => encodeCursor([last.score, last.id]);
const readCursor = (cursor: string): Ranked =>
  decodeCursor(cursor, ([score, id]) => (typeof score === 'number' && typeof id === 'string' ? { id, score } : undefined), 'cursor is not one this API returned');

/** A page of a ranked score table (score descending, then id ascending; `asc` is the reverse). */
function rankedPage(table: ScoreTable, options: { limit: number; cursor?: string | undefined; order: 'asc' | 'desc' }) {
  const list = options.order === 'desc' ? table.ranked : [...table.ranked].reverse();
  const after = options.cursor ? readCursor(options.cursor) : undefined;
  const isAfter =
    after === undefined
      ? undefined
      : (entry: Ranked) =>
          options.order === 'desc' ? entry.score < after.score || (entry.score === after.score && entry.id > after.id) : entry.score > after.score || (entry.score === after.score && entry.id < after.id);
  const page = pageAfter(list, { limit: options.limit, isAfter, cursorOf });
  return { items: page.items.map((entry) => ({ ...entry, percentile: percentileOf(table.ascending, entry.score) })), nextCursor: page.nextCursor };
}

/** Every `/v1/scores` route: users and accounts ranked by score. */
export const scoreRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  const ranked = (kind: 'users' | 'accounts') => async (request: { project: { projectId: string }; query: z.output<typeof rankedScoresQuerySchema> }) => {
    const { projectId } = request.project;
    const model = await scoreModelFor(db, projectId, request.query.model);
    const asOf = request.query.asOf ?? today();
    const table = await (kind === 'users' ? userScoreTable : accountScoreTable)(db, cache, projectId, model, asOf);
    return { model: { version: model.version }, window: windowOf(asOf, model.windowDays), ...rankedPage(table, request.query) };
  };
  typed.get('/v1/scores/users', {
    schema: { summary: 'Users ranked by score', tags: ['scores'], security, querystring: rankedScoresQuerySchema, response: { 200: rankedUsersSchema, ...errors } },
    handler: async (request) => {
      const page = await ranked('users')(request);
      return { ...page, items: page.items.map(({ id, score, percentile }) => ({ userId: id, score, percentile })) };
    },
  });
  typed.get('/v1/scores/accounts', {
    schema: { summary: 'Accounts ranked by score', tags: ['scores'], security, querystring: rankedScoresQuerySchema, response: { 200: rankedAccountsSchema, ...errors } },
    handler: async (request) => {
      const page = await ranked('accounts')(request);
      return { ...page, items: page.items.map(({ id, score, percentile }) => ({ accountId: id, score, percentile })) };
    },
  });
};
