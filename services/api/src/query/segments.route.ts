import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  errorResponseSchema,
  memberSegmentsSchema,
  newSegmentSchema,
  scoreQuerySchema,
  segmentListSchema,
  segmentMembersQuerySchema,
  segmentMembersSchema,
  segmentSchema,
  segmentSettingsSchema,
  segmentSettingsUpdateSchema,
  segmentUpdateSchema,
  type ScoreModel,
  userParamsSchema,
  accountParamsSchema,
  idParamSchema,
} from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { today } from '../domain/days.ts';
import { builtInSegment, FEATURE_UNUSED_PREFIX, isReservedSegmentKey } from '../domain/segments/built-in.ts';
import { normaliseRule } from '../domain/segments/custom-rule.ts';
import { accountFactsForWire, userFactsForWire } from '../domain/segments/facts.ts';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../domain/segments/thresholds.ts';
import { HttpError } from '../http/errors.ts';
import type { FigureCache } from './figure-cache.ts';
import { findScoreModel } from './score-models.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { builtInSegmentUnder, listedBuiltIns, segmentMembers, segmentsToCheck, type SegmentDefinition } from './segments-members.queries.ts';
import {
  deleteCustomSegment,
  findCustomSegment,
  insertCustomSegment,
  listCustomSegments,
  saveThresholdOverrides,
  segmentThresholds,
  thresholdOverrides,
  updateCustomSegment,
} from './segments.queries.ts';

export type SegmentRoutesOptions = { db: Kysely<Database>; cache: FigureCache };

const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema };
const keyParams = z.object({ key: idParamSchema(300) });

const encodeCursor = (id: string) => Buffer.from(JSON.stringify([id])).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const [id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown];
    if (typeof id === 'string') return id;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_request', 'cursor: is not one this API returned', { path: 'cursor' });
}

const readOnly = (key: string) =>
  new HttpError(409, 'built_in_segment', `segment "${key}" is built in and read-only: change its thresholds with PUT /v1/segments/settings, or make a custom segment`, { path: 'key' });

/**
 * Adoption segments (docs/api.md, Definitions): built-in and custom, their members as of a day, the segments one
 * user or account is in, custom segment CRUD and the built-ins' per-project thresholds.
 * Registered inside the query routes, so the secret key guards every route.
 */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ secretKey: [] }];
  const tags = ['segments'];

  const modelFor = async (projectId: string, version: number | undefined): Promise<ScoreModel> => {
    const model = await findScoreModel(db, projectId, version);
    if (!model) throw new HttpError(400, 'unknown_model', `model: this project has no score model version ${version}`, { path: 'model' });
    return model;
  };
  const definitionOf = async (projectId: string, key: string, model: ScoreModel): Promise<SegmentDefinition> => {
    const builtIn = builtInSegmentUnder(key, model);
    if (builtIn) return { key: builtIn.key, name: builtIn.name, of: builtIn.of, builtIn: true, rule: null };
    if (key.startsWith(FEATURE_UNUSED_PREFIX)) {
      throw new HttpError(404, 'segment_not_found', `no segment "${key}": feature-unused exists only for the features score model version ${model.version} names (GET /v1/score-models)`);
    }
    const custom = await findCustomSegment(db, projectId, key);
    if (!custom) throw new HttpError(404, 'segment_not_found', `no segment "${key}" (built-in keys: GET /v1/segments)`);
    return { key: custom.key, name: custom.name, of: custom.of, builtIn: false, rule: custom.rule };
  };
  const customDefinitions = async (projectId: string): Promise<SegmentDefinition[]> =>
    (await listCustomSegments(db, projectId)).map((segment) => ({ key: segment.key, name: segment.name, of: segment.of, builtIn: false, rule: segment.rule }));

  typed.get('/v1/segments', {
    schema: { summary: 'Built-in and custom segments, with the thresholds in effect', tags, security, response: { 200: segmentListSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const [custom, thresholds, model] = await Promise.all([listCustomSegments(db, projectId), segmentThresholds(db, projectId), modelFor(projectId, undefined)]);
      const builtIns = listedBuiltIns(model).map((segment) => ({ ...segment, builtIn: true, rule: null, createdAt: null, updatedAt: null }));
      return { segments: [...builtIns, ...custom], thresholds };
    },
  });

  typed.get('/v1/segments/settings', {
    schema: { summary: 'Thresholds of the built-in segments', tags, security, response: { 200: segmentSettingsSchema, ...errors } },
    handler: async (request) => {
      const overrides = await thresholdOverrides(db, request.project.projectId);
      return { thresholds: { ...DEFAULT_SEGMENT_THRESHOLDS, ...overrides }, overrides, defaults: { ...DEFAULT_SEGMENT_THRESHOLDS } };
    },
  });
  typed.put('/v1/segments/settings', {
    schema: {
      summary: 'Replace the threshold overrides (omitted thresholds return to the default)',
      tags,
      security,
      body: segmentSettingsUpdateSchema,
      response: { 200: segmentSettingsSchema, ...errors },
    },
    handler: async (request) => {
      const overrides = request.body.thresholds;
      await saveThresholdOverrides(db, request.project.projectId, overrides);
      return { thresholds: { ...DEFAULT_SEGMENT_THRESHOLDS, ...overrides }, overrides, defaults: { ...DEFAULT_SEGMENT_THRESHOLDS } };
    },
  });

  typed.get('/v1/segments/:key/members', {
    schema: {
      summary: 'Members of a segment as of a day, by id, with the facts that put them there',
      tags,
      security,
      params: keyParams,
      querystring: segmentMembersQuerySchema,
      response: { 200: segmentMembersSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const asOf = request.query.asOf ?? today();
      const [model, thresholds] = await Promise.all([modelFor(projectId, request.query.model), segmentThresholds(db, projectId)]);
      const segment = await definitionOf(projectId, request.params.key, model);
      const facts = await segmentFacts(db, cache, projectId, model, thresholds, asOf);
      const found = await segmentMembers(db, projectId, segment, facts, thresholds);
      const items = found.of === 'accounts' ? found.members.map((member) => ({ id: member.accountId, wire: accountFactsForWire(member) })) : found.members.map((member) => ({ id: member.userId, wire: userFactsForWire(member) }));
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const start = after === undefined ? 0 : items.findIndex((item) => item.id > after) === -1 ? items.length : items.findIndex((item) => item.id > after);
      const page = items.slice(start, start + request.query.limit);
      return {
        segment: { key: segment.key, name: segment.name, of: segment.of, builtIn: segment.builtIn },
        asOf,
        model: { version: model.version },
        items: page.map((item) => item.wire),
        nextCursor: start + request.query.limit < items.length && page.length > 0 ? encodeCursor(page.at(-1)!.id) : null,
      };
    },
  });

  const segmentsOfOne = (of: 'users' | 'accounts') => async (projectId: string, id: string, query: z.output<typeof scoreQuerySchema>) => {
    const asOf = query.asOf ?? today();
    const [model, thresholds, custom] = await Promise.all([modelFor(projectId, query.model), segmentThresholds(db, projectId), customDefinitions(projectId)]);
    const facts = await segmentFacts(db, cache, projectId, model, thresholds, asOf);
    const own = of === 'accounts' ? facts.accounts.find((account) => account.accountId === id) : facts.users.find((user) => user.userId === id);
    if (!own) {
      const what = of === 'accounts' ? 'account' : 'user';
      throw new HttpError(404, `${what}_not_found`, `no ${what} "${id}" in this project as of ${asOf}`);
    }
    const definitions = segmentsToCheck(of, model, custom);
    const segments: Array<{ key: string; name: string; of: typeof of; builtIn: boolean }> = [];
    for (const segment of definitions) {
      const found = await segmentMembers(db, projectId, segment, facts, thresholds);
      const isMember = found.of === 'accounts' ? found.members.some((member) => member.accountId === id) : found.members.some((member) => member.userId === id);
      if (isMember) segments.push({ key: segment.key, name: segment.name, of, builtIn: segment.builtIn });
    }
    segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const wire = of === 'accounts' ? accountFactsForWire(own as (typeof facts.accounts)[number]) : userFactsForWire(own as (typeof facts.users)[number]);
    return { id, of, asOf, model: { version: model.version }, segments, facts: wire };
  };

  typed.get('/v1/users/:userId/segments', {
    schema: { summary: 'The segments a user is in', tags, security, params: userParamsSchema, querystring: scoreQuerySchema, response: { 200: memberSegmentsSchema, ...errors } },
    handler: async (request) => segmentsOfOne('users')(request.project.projectId, request.params.userId, request.query),
  });
  typed.get('/v1/accounts/:accountId/segments', {
    schema: { summary: 'The segments an account is in', tags, security, params: accountParamsSchema, querystring: scoreQuerySchema, response: { 200: memberSegmentsSchema, ...errors } },
    handler: async (request) => segmentsOfOne('accounts')(request.project.projectId, request.params.accountId, request.query),
  });

  typed.post('/v1/segments', {
    schema: { summary: 'Make a custom segment', tags, security, body: newSegmentSchema, response: { 201: segmentSchema, ...errors } },
    handler: async (request, reply) => {
      const { key, ...input } = request.body;
      if (isReservedSegmentKey(key)) throw readOnly(key);
      const segment = await insertCustomSegment(db, request.project.projectId, key, { ...input, rule: normaliseRule(input.rule) });
      if (!segment) throw new HttpError(409, 'segment_exists', `a segment "${key}" exists: change it with PUT /v1/segments/${key}`, { path: 'key' });
      return reply.status(201).send(segment);
    },
  });
  typed.put('/v1/segments/:key', {
    schema: { summary: 'Replace a custom segment', tags, security, params: keyParams, body: segmentUpdateSchema, response: { 200: segmentSchema, ...errors } },
    handler: async (request) => {
      const { key } = request.params;
      if (builtInSegment(key) || isReservedSegmentKey(key)) throw readOnly(key);
      const segment = await updateCustomSegment(db, request.project.projectId, key, { ...request.body, rule: normaliseRule(request.body.rule) });
      if (!segment) throw new HttpError(404, 'segment_not_found', `no custom segment "${key}": make it with POST /v1/segments`);
      return segment;
    },
  });
  typed.delete('/v1/segments/:key', {
    schema: { summary: 'Delete a custom segment', tags, security, params: keyParams, response: { 204: z.null(), ...errors } },
    handler: async (request, reply) => {
      const { key } = request.params;
      if (builtInSegment(key) || isReservedSegmentKey(key)) throw readOnly(key);
      if (!(await deleteCustomSegment(db, request.project.projectId, key))) throw new HttpError(404, 'segment_not_found', `no custom segment "${key}"`);
      return reply.status(204).send(null);
    },
  });
};
