import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  accountListQuerySchema,
  accountListSchema,
  accountParamsSchema,
  accountScoreSchema,
  accountUsersQuerySchema,
  accountUsersSchema,
  asOfQuerySchema,
  errorResponseSchema,
  memberSegmentsSchema,
  scoreQuerySchema,
  utilisationSchema,
  type ScoreModel,
  type SegmentThresholds,
} from '@uptake/protocol';
import { today } from '../domain/days.ts';
import type { AccountFacts, SegmentFacts } from '../domain/segments/facts.ts';
import { decodeCursor, encodeCursor, pageAfter } from '../http/cursor-paging.ts';
import { findHealthModel } from './health-models.queries.ts';
import { customDefinitions, segmentsOfOne } from './member-segments.ts';
import { accountUtilisation } from './metrics.queries.ts';
import { mustHaveAccount, scoreModelFor } from './route-lookups.ts';
import { errors, security, type ResourceRoutesOptions } from './route-schema.ts';
import { accountScore } from './scores.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { segmentMembers, segmentsToCheck } from './segments-members.queries.ts';
import { segmentThresholds } from './segments.queries.ts';

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
const cursorOf = (sort: string, key: SortKey) => encodeCursor([sort, key.value, key.id]);
const readCursor = (cursor: string, sort: string): SortKey =>
  decodeCursor(
    cursor,
    ([tag, value, id]) => {
      const valueOk = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
      return tag === sort && valueOk && typeof id === 'string' ? { value: value as SortValue, id } : undefined;
    },
    'is not one this API returned for this sort and order',
  );

/** One page of entries sorted by key, after the key `after` (from the cursor). */
function pageOf<T>(entries: Array<{ key: SortKey; item: T }>, options: { sort: string; order: 'asc' | 'desc'; limit: number; after: SortKey | undefined }) {
  const { after } = options;
  entries.sort((a, b) => compareKeys(a.key, b.key, options.order));
  const page = pageAfter(entries, {
    limit: options.limit,
    isAfter: after === undefined ? undefined : (entry) => compareKeys(entry.key, after, options.order) > 0,
    cursorOf: (last) => cursorOf(options.sort, last.key),
  });
  return { items: page.items.map((entry) => entry.item), nextCursor: page.nextCursor };
}

/** The sort an account's users are listed in; tags their cursors apart from the accounts table's. */
const USERS_BY_SCORE = 'users:score:desc';

const textTrait = (traits: Record<string, unknown>, name: string) => (typeof traits[name] === 'string' ? traits[name] : null);

/**
 * Every `/v1/accounts` route. The accounts table of customer success (every account with its
 * figures and segments) and the users of one account are read from the cached segment facts, so
 * every figure there is the one the segments and the score, utilisation and NPS routes answer.
 * Registered inside the query routes, so the secret key guards them.
 */
export const accountRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['accounts'];

  const factsFor = async (projectId: string, query: { asOf?: string | undefined; model?: number | undefined }) => {
    const asOf = query.asOf ?? today();
    const [model, thresholds] = await Promise.all([scoreModelFor(db, projectId, query.model), segmentThresholds(db, projectId)]);
    return { asOf, model, thresholds, facts: await segmentFacts(db, cache, projectId, model, thresholds, asOf) };
  };

  /** Keys of the account segments (built-in, then custom) each account is in, by key. */
  const segmentKeysOf = async (projectId: string, model: ScoreModel, facts: SegmentFacts, thresholds: SegmentThresholds) => {
    const definitions = segmentsToCheck('accounts', model, await customDefinitions(db, projectId));
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
      const after = request.query.cursor === undefined ? undefined : readCursor(request.query.cursor, `${sort}:${order}`);
      const { asOf, model, thresholds, facts } = await factsFor(projectId, request.query);
      const needle = request.query.q?.toLowerCase();
      // The health column: each account's health under the active health model, attached to the facts (docs/api.md, Health).
      const healthModel = (await findHealthModel(db, projectId))!;
      const { band } = request.query;
      const matching = facts.accounts.filter(
        (account) =>
          (needle === undefined || account.accountId.toLowerCase().includes(needle) || (textTrait(account.traits, 'name')?.toLowerCase().includes(needle) ?? false)) &&
          (band === undefined || account.health?.band === band),
      );
      const valueOf = (account: AccountFacts): SortValue =>
        sort === 'name' ? (textTrait(account.traits, 'name')?.toLowerCase() ?? null) : sort === 'health' ? (account.health?.score ?? null) : account[sort];
      const page = pageOf(
        matching.map((account) => ({ key: { value: valueOf(account), id: account.accountId }, item: account })),
        { sort: `${sort}:${order}`, order, limit, after },
      );
      const segments = await segmentKeysOf(projectId, model, facts, thresholds);
      return {
        model: { version: model.version },
        asOf,
        healthModel: { version: healthModel.version },
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
          health: account.health?.score ?? null,
          healthBand: account.health?.band ?? null,
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
      const after = request.query.cursor === undefined ? undefined : readCursor(request.query.cursor, USERS_BY_SCORE);
      const { asOf, model, facts } = await factsFor(projectId, request.query);
      const account = facts.accounts.find((candidate) => candidate.accountId === accountId);
      // An account first seen after asOf had no users then; one never seen is unknown.
      if (!account) await mustHaveAccount(db, projectId, accountId);
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

  typed.get('/v1/accounts/:accountId/score', {
    schema: { summary: "An account's engagement score", tags: ['scores'], security, params: accountParamsSchema, querystring: scoreQuerySchema, response: { 200: accountScoreSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const model = await scoreModelFor(db, projectId, request.query.model);
      await mustHaveAccount(db, projectId, request.params.accountId);
      return accountScore(db, cache, projectId, model, request.params.accountId, request.query.asOf ?? today());
    },
  });

  typed.get('/v1/accounts/:accountId/utilisation', {
    schema: { summary: 'Licence utilisation of an account', tags: ['metrics'], security, params: accountParamsSchema, querystring: asOfQuerySchema, response: { 200: utilisationSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      await mustHaveAccount(db, projectId, request.params.accountId);
      return accountUtilisation(db, projectId, request.params.accountId, request.query.asOf ?? today());
    },
  });

  typed.get('/v1/accounts/:accountId/segments', {
    schema: { summary: 'The segments an account is in', tags: ['segments'], security, params: accountParamsSchema, querystring: scoreQuerySchema, response: { 200: memberSegmentsSchema, ...errors, 409: errorResponseSchema } },
    handler: async (request) => segmentsOfOne(db, cache, 'accounts', request.project.projectId, request.params.accountId, request.query),
  });
};
