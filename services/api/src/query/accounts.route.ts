import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import {
  accountListQuerySchema,
  accountListSchema,
  accountUsersQuerySchema,
  accountUsersSchema,
  errorResponseSchema,
  type ScoreModel,
  type SegmentThresholds,
  accountParamsSchema,
} from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { today } from '../domain/days.ts';
import type { AccountFacts, SegmentFacts } from '../domain/segments/facts.ts';
import { HttpError } from '../http/errors.ts';
import type { FigureCache } from './figure-cache.ts';
import { findScoreModel } from './score-models.queries.ts';
import { accountExists } from './scores.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { segmentMembers, segmentsToCheck } from './segments-members.queries.ts';
import { listCustomSegments, segmentThresholds } from './segments.queries.ts';

export type AccountRoutesOptions = { db: Kysely<Database>; cache: FigureCache };

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };

type SortValue = number | string | null;
/** Where an entry sits in a sorted list: its sort value, then its id. */
type SortKey = { value: SortValue; id: string };

/** Sort value in `order`, nulls last in both orders, then id ascending. */
function compareKeys(a: SortKey, b: SortKey, order: 'asc' | 'desc'): number {
  if (a.value !== b.value) {
    if (a.value === null) return 1;
    if (b.value === null) return -1;
    if (a.value < b.value) return order === 'asc' ? -1 : 1;
    if (a.value > b.value) return order === 'asc' ? 1 : -1;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// The cursor is the sort key of the previous page's last entry, with the sort it belongs to. A
// page starts after that key, not after that entry: when new events move the entry, paging goes
// on from where its old key sits (no entry twice, none skipped that did not move).
const encodeCursor = (sort: string, key: SortKey) => Buffer.from(JSON.stringify([sort, key.value, key.id])).toString('base64url');
function decodeCursor(cursor: string, sort: string): SortKey {
  try {
    const [tag, value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    const valueOk = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (tag === sort && valueOk && typeof id === 'string') return { value: value as SortValue, id };
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', 'cursor: is not one this API returned for this sort and order', { path: 'cursor' });
}

/** One page of entries sorted by key, after the key `after` (from the cursor). */
function pageOf<T>(entries: Array<{ key: SortKey; item: T }>, options: { sort: string; order: 'asc' | 'desc'; limit: number; after: SortKey | undefined }) {
  const { after } = options;
  entries.sort((a, b) => compareKeys(a.key, b.key, options.order));
  const found = after === undefined ? 0 : entries.findIndex((entry) => compareKeys(entry.key, after, options.order) > 0);
  const start = found === -1 ? entries.length : found;
  const page = entries.slice(start, start + options.limit);
  const last = page.at(-1);
  return { items: page.map((entry) => entry.item), nextCursor: last && start + options.limit < entries.length ? encodeCursor(options.sort, last.key) : null };
}

/** The sort an account's users are listed in; tags their cursors apart from the accounts table's. */
const USERS_BY_SCORE = 'users:score:desc';

const textTrait = (traits: Record<string, unknown>, name: string) => (typeof traits[name] === 'string' ? traits[name] : null);

/**
 * The accounts table of customer success (every account with its figures and segments) and the
 * users of one account, both read from the cached segment facts, so every figure here is the one
 * the segments and the score, utilisation and NPS routes answer. Registered inside the query
 * routes, so the secret key guards them.
 */
export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ secretKey: [] }];
  const tags = ['accounts'];

  const factsFor = async (projectId: string, query: { asOf?: string | undefined; model?: number | undefined }) => {
    const asOf = query.asOf ?? today();
    const [model, thresholds] = await Promise.all([findScoreModel(db, projectId, query.model), segmentThresholds(db, projectId)]);
    if (!model) throw new HttpError(400, 'unknown_model', `model: this project has no score model version ${query.model}`, { path: 'model' });
    return { asOf, model, thresholds, facts: await segmentFacts(db, cache, projectId, model, thresholds, asOf) };
  };

  /** Keys of the account segments (built-in, then custom) each account is in, by key. */
  const segmentKeysOf = async (projectId: string, model: ScoreModel, facts: SegmentFacts, thresholds: SegmentThresholds) => {
    const custom = (await listCustomSegments(db, projectId)).map((segment) => ({ key: segment.key, name: segment.name, of: segment.of, builtIn: false, rule: segment.rule }));
    const definitions = segmentsToCheck('accounts', model, custom);
    definitions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const keys = new Map<string, string[]>();
    for (const segment of definitions) {
      const found = await segmentMembers(db, projectId, segment, facts, thresholds);
      if (found.of !== 'accounts') continue;
      for (const { accountId } of found.members) {
        const list = keys.get(accountId);
        if (list) list.push(segment.key);
        else keys.set(accountId, [segment.key]);
      }
    }
    return keys;
  };

  typed.get('/v1/accounts', {
    schema: {
      summary: 'Every account with its score, utilisation, NPS, activity and segments, sorted and paged',
      tags,
      security,
      querystring: accountListQuerySchema,
      response: { 200: accountListSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { sort, order, limit } = request.query;
      // Decoded first: a bad cursor fails before any figure is computed.
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor, `${sort}:${order}`);
      const { asOf, model, thresholds, facts } = await factsFor(projectId, request.query);
      const needle = request.query.q?.toLowerCase();
      const matching = facts.accounts.filter(
        (account) => needle === undefined || account.accountId.toLowerCase().includes(needle) || (textTrait(account.traits, 'name')?.toLowerCase().includes(needle) ?? false),
      );
      const valueOf = (account: AccountFacts): SortValue => (sort === 'name' ? (textTrait(account.traits, 'name')?.toLowerCase() ?? null) : account[sort]);
      const page = pageOf(
        matching.map((account) => ({ key: { value: valueOf(account), id: account.accountId }, item: account })),
        { sort: `${sort}:${order}`, order, limit, after },
      );
      const segments = await segmentKeysOf(projectId, model, facts, thresholds);
      return {
        model: { version: model.version },
        asOf,
        total: matching.length,
        items: page.items.map((account) => ({
          accountId: account.accountId,
          name: textTrait(account.traits, 'name'),
          score: account.score,
          percentile: account.percentile,
          seats: account.seats,
          activeUsers30d: account.activeUsers30d,
          utilisation: account.utilisation,
          utilisationChange: account.utilisationChange,
          nps: account.nps,
          npsResponses: account.npsResponses,
          lastActive: account.lastActive,
          memberCount: account.memberCount,
          segments: segments.get(account.accountId) ?? [],
        })),
        nextCursor: page.nextCursor,
      };
    },
  });

  typed.get('/v1/accounts/:accountId/users', {
    schema: {
      summary: "An account's users (everyone with an event belonging to it) by score, with their project-wide figures",
      tags,
      security,
      params: accountParamsSchema,
      querystring: accountUsersQuerySchema,
      response: { 200: accountUsersSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const { accountId } = request.params;
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor, USERS_BY_SCORE);
      const { asOf, model, facts } = await factsFor(projectId, request.query);
      const account = facts.accounts.find((candidate) => candidate.accountId === accountId);
      // An account first seen after asOf had no users then; one never seen is unknown.
      if (!account && !(await accountExists(db, projectId, accountId))) throw new HttpError(404, 'account_not_found', `no account "${accountId}" in this project`);
      const memberIds = new Set(account?.memberIds);
      const members = facts.users.filter((user) => memberIds.has(user.userId));
      const page = pageOf(
        members.map((user) => ({ key: { value: user.score, id: user.userId }, item: user })),
        { sort: USERS_BY_SCORE, order: 'desc', limit: request.query.limit, after },
      );
      return {
        accountId,
        model: { version: model.version },
        asOf,
        items: page.items.map((user) => ({
          userId: user.userId,
          name: textTrait(user.traits, 'name'),
          email: textTrait(user.traits, 'email'),
          score: user.score,
          percentile: user.percentile,
          firstSeen: user.firstSeen,
          lastActive: user.lastActive,
          nps: user.nps,
          isChampion: user.traits['isChampion'] === true,
        })),
        nextCursor: page.nextCursor,
      };
    },
  });
};
