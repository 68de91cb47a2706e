import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  errorResponseSchema,
  newSegmentSchema,
  segmentListSchema,
  segmentMembersQuerySchema,
  segmentMembersSchema,
  segmentSchema,
  segmentSettingsSchema,
  segmentSettingsUpdateSchema,
  segmentUpdateSchema,
  type ScoreModel,
  idParamSchema,
  EXAMPLE_SEGMENT_KEY,
} from '@uptake/protocol';
import { today } from '../domain/days.ts';
import { builtInSegment, FEATURE_UNUSED_PREFIX, isReservedSegmentKey } from '../domain/segments/built-in.ts';
import { normaliseRule } from '../domain/segments/custom-rule.ts';
import { accountFactsForWire, userFactsForWire } from '../domain/segments/facts.ts';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../domain/segments/thresholds.ts';
import { HttpError } from '../http/errors.ts';
import { decodeCursor, encodeCursor, pageAfter } from '../http/cursor-paging.ts';
import { scoreModelFor } from './route-lookups.ts';
import { security, errors as queryErrors, type ResourceRoutesOptions } from './route-schema.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { builtInSegmentUnder, listedBuiltIns, segmentMembers, type SegmentDefinition } from './segments-members.queries.ts';
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

const errors = { ...queryErrors, 409: errorResponseSchema };
const keyParams = z.object({ key: idParamSchema(300).meta({ examples: [EXAMPLE_SEGMENT_KEY] }) });

// The cursor is the id of the previous page's last member; the next page starts after that id.
const memberCursor = (id: string) => encodeCursor([id]);
const readMemberCursor = (cursor: string) => decodeCursor(cursor, ([id]) => (typeof id === 'string' ? id : undefined));

const readOnly = (key: string) =>
  new HttpError(409, 'built_in_segment', `segment "${key}" is built in and read-only: change its thresholds with PUT /v1/segments/settings, or make a custom segment`, { path: 'key' });

/**
 * Adoption segments (docs/api.md, Definitions): built-in and custom, their members as of a day,
 * custom segment CRUD and the built-ins' per-project thresholds. The segments one user or account
 * is in are answered by the users and accounts routes.
 * Registered inside the query routes, so the secret key guards every route.
 */
export const segmentRoutes: FastifyPluginAsync<ResourceRoutesOptions> = async (app, { db, cache }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['segments'];

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

  typed.get('/v1/segments', {
    schema: { summary: 'Built-in and custom segments, with the thresholds in effect', tags, security, response: { 200: segmentListSchema, ...errors } },
    handler: async (request) => {
      const { projectId } = request.project;
      const [custom, thresholds, model] = await Promise.all([listCustomSegments(db, projectId), segmentThresholds(db, projectId), scoreModelFor(db, projectId, undefined)]);
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
      const [model, thresholds] = await Promise.all([scoreModelFor(db, projectId, request.query.model), segmentThresholds(db, projectId)]);
      const segment = await definitionOf(projectId, request.params.key, model);
      const facts = await segmentFacts(db, cache, projectId, model, thresholds, asOf);
      const found = await segmentMembers(db, projectId, segment, facts, thresholds);
      // Only the page's members are put in wire form (a segment may hold most of the users).
      const items = found.of === 'accounts' ? found.members.map((member) => ({ id: member.accountId, wire: () => accountFactsForWire(member) })) : found.members.map((member) => ({ id: member.userId, wire: () => userFactsForWire(member) }));
      const after = request.query.cursor === undefined ? undefined : readMemberCursor(request.query.cursor);
      const page = pageAfter<(typeof items)[number]>(items, { limit: request.query.limit, isAfter: after === undefined ? undefined : (item) => item.id > after, cursorOf: (last) => memberCursor(last.id) });
      return {
        segment: { key: segment.key, name: segment.name, of: segment.of, builtIn: segment.builtIn },
        asOf,
        model: { version: model.version },
        items: page.items.map((item) => item.wire()),
        nextCursor: page.nextCursor,
      };
    },
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
