import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  campaignInputSchema,
  campaignListSchema,
  campaignParamsSchema,
  campaignPatchSchema,
  campaignPreviewQuerySchema,
  campaignPreviewSchema,
  campaignResultsSchema,
  campaignSchema,
  errorResponseSchema,
  type Campaign,
} from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { campaignStatus } from '../domain/campaigns/eligibility.ts';
import { HttpError } from '../http/errors.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { deleteCampaign, findCampaign, insertCampaign, listCampaigns, replaceCampaign } from './campaigns.queries.ts';
import { filledMessage } from './messages.queries.ts';
import { campaignResults } from './results.queries.ts';
import { mustKnowSegments } from './segment-keys.queries.ts';
import { campaignUser } from './user-facts.queries.ts';

export type CampaignRoutesOptions = { db: Kysely<Database>; auth: Auth; cache: FigureCache };

const security = [{ secretKey: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
const tags = ['campaigns'];

const notFound = (campaignId: string) => new HttpError(404, 'campaign_not_found', `no campaign "${campaignId}" in this project`, { path: 'campaignId' });

/**
 * In-app campaigns (docs/campaigns.md), secret key: `POST|GET|PATCH|DELETE /v1/campaigns`, the
 * dashboard's preview as a chosen user, and the results against the holdout.
 */
export const campaignRoutes: FastifyPluginAsync<CampaignRoutesOptions> = async (app, { db, auth, cache }) => {
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const typed = app.withTypeProvider<ZodTypeProvider>();

  const campaignOrThrow = async (projectId: string, campaignId: string): Promise<Campaign> => {
    const campaign = await findCampaign(db, projectId, campaignId);
    if (!campaign) throw notFound(campaignId);
    return campaign;
  };

  typed.post('/v1/campaigns', {
    schema: { summary: 'Make a campaign (fields left out take their defaults; off unless enabled: true)', tags, security, body: campaignInputSchema, response: { 201: campaignSchema, ...errors } },
    handler: async (request, reply) => {
      await mustKnowSegments(db, request.project.projectId, request.body);
      return reply.status(201).send(await insertCampaign(db, request.project.projectId, request.body));
    },
  });

  typed.get('/v1/campaigns', {
    schema: { summary: "The project's campaigns, highest priority first", tags, security, response: { 200: campaignListSchema, ...errors } },
    handler: async (request) => ({ campaigns: await listCampaigns(db, request.project.projectId) }),
  });

  typed.get('/v1/campaigns/:campaignId', {
    schema: { summary: 'One campaign', tags, security, params: campaignParamsSchema, response: { 200: campaignSchema, ...errors } },
    handler: async (request) => campaignOrThrow(request.project.projectId, request.params.campaignId),
  });

  typed.patch('/v1/campaigns/:campaignId', {
    schema: {
      summary: 'Change a campaign: the fields given replace the stored ones (a nested object is replaced whole)',
      tags,
      security,
      params: campaignParamsSchema,
      body: campaignPatchSchema,
      response: { 200: campaignSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const stored = await campaignOrThrow(projectId, request.params.campaignId);
      const { id: _id, createdAt: _created, updatedAt: _updated, ...fields } = stored;
      const merged = { ...fields, ...request.body };
      await mustKnowSegments(db, projectId, merged);
      const updated = await replaceCampaign(db, projectId, stored.id, merged);
      if (!updated) throw notFound(stored.id);
      return updated;
    },
  });

  typed.delete('/v1/campaigns/:campaignId', {
    schema: { summary: 'Delete a campaign and its assignments (its results go with it)', tags, security, params: campaignParamsSchema, response: { 204: z.null(), ...errors } },
    handler: async (request, reply) => {
      if (!(await deleteCampaign(db, request.project.projectId, request.params.campaignId))) throw notFound(request.params.campaignId);
      return reply.status(204).send(null);
    },
  });

  typed.get('/v1/campaigns/:campaignId/preview', {
    schema: {
      summary: 'What this user would see of the campaign now',
      description: 'Ignores `enabled`, the contact-pressure ledger and the holdout; records nothing. The message is filled for the user whenever every placeholder has a value, eligible or not.',
      tags,
      security,
      params: campaignParamsSchema,
      querystring: campaignPreviewQuerySchema,
      response: { 200: campaignPreviewSchema, ...errors },
    },
    handler: async (request) => {
      const { projectId } = request.project;
      const campaign = await campaignOrThrow(projectId, request.params.campaignId);
      const user = await campaignUser(db, cache, projectId, { userId: request.query.userId, accountId: null, now: new Date() }, [campaign]);
      if (!user.known) return { eligible: false, reason: 'unknown_user' as const, message: null };
      const facts = user.factsOf(campaign);
      const reason = campaignStatus(campaign, facts);
      return { eligible: reason === 'eligible', reason, message: filledMessage(campaign, facts.values) };
    },
  });

  typed.get('/v1/campaigns/:campaignId/results', {
    schema: {
      summary: 'Exposed against holdout: shown, clicked, dismissed, goal conversions, lift and its 95 % interval',
      tags,
      security,
      params: campaignParamsSchema,
      response: { 200: campaignResultsSchema, ...errors },
    },
    handler: async (request) => {
      const campaign = await campaignOrThrow(request.project.projectId, request.params.campaignId);
      return campaignResults(db, request.project.projectId, campaign);
    },
  });
};
