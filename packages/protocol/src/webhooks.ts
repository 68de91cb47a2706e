import { z } from 'zod';
import { idParamSchema, storableBody } from './query.ts';

/**
 * Webhooks (secret key): `POST|GET|PATCH|DELETE /v1/webhooks`, the delivery log, redelivery, a
 * test send and secret rotation. Deliveries follow the Standard Webhooks specification
 * (docs/webhooks.md).
 */

/** Events an endpoint can subscribe to. */
export const WEBHOOK_EVENTS = ['segment.entered', 'segment.exited', 'nps.response'] as const;
/** A test send (`POST /v1/webhooks/:id/test`) is delivered whatever the endpoint subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';
export const WEBHOOK_FORMATS = ['standard', 'slack'] as const;
export const NPS_CATEGORIES = ['promoter', 'passive', 'detractor'] as const;

export const WEBHOOK_LIMITS = {
  /** Endpoints one project may have: enough for every team's tool, not a fan-out amplifier. */
  maxEndpointsPerProject: 20,
  maxUrlLength: 2000,
  maxDescriptionLength: 500,
  maxSegmentsPerEndpoint: 100,
  /** Hours a rotated-out secret keeps signing unless the rotation says otherwise, and the most it may. */
  defaultSecretOverlapHours: 24,
  maxSecretOverlapHours: 24 * 30,
} as const;

const urlSchema = z
  .string()
  .max(WEBHOOK_LIMITS.maxUrlLength, `must be at most ${WEBHOOK_LIMITS.maxUrlLength} characters`)
  .superRefine((url, ctx) => {
    if (!URL.canParse(url)) ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    else if (!/^https?:$/.test(new URL(url).protocol)) ctx.addIssue({ code: 'custom', message: 'must be an http or https URL' });
  });

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENTS, { error: `must be one of ${WEBHOOK_EVENTS.join(', ')}` }))
  .min(1, 'must name at least one event')
  .max(WEBHOOK_EVENTS.length)
  .transform((events) => [...new Set(events)]);

const segmentsSchema = z
  .array(idParamSchema())
  .min(1, 'must name at least one segment key (null: every segment)')
  .max(WEBHOOK_LIMITS.maxSegmentsPerEndpoint)
  .nullable()
  .describe('segment keys the segment.* events are sent for; null or absent: every segment');

const npsCategoriesSchema = z
  .array(z.enum(NPS_CATEGORIES, { error: `must be one of ${NPS_CATEGORIES.join(', ')}` }))
  .min(1, 'must name at least one category (null: every category)')
  .nullable()
  .describe('NPS categories nps.response is sent for; null or absent: every one');

const endpointFields = {
  url: urlSchema
    .describe('where deliveries are POSTed (http or https; private addresses are refused, docs/webhooks.md)')
    .meta({ examples: ['https://example.com/hooks/uptake'] }),
  description: z.string().max(WEBHOOK_LIMITS.maxDescriptionLength).describe('a note for people'),
  format: z.enum(WEBHOOK_FORMATS, { error: 'must be standard or slack' }).describe('standard: the JSON payload; slack: a message a Slack incoming webhook accepts'),
  events: eventsSchema.describe(`events to deliver: ${WEBHOOK_EVENTS.join(', ')}`),
  segments: segmentsSchema,
  npsCategories: npsCategoriesSchema,
  enabled: z.boolean().describe('false: nothing is sent (deliveries wait until it is enabled again)'),
};

export const newWebhookSchema = storableBody(
  z.strictObject({
    url: endpointFields.url,
    description: endpointFields.description.default(''),
    format: endpointFields.format.default('standard'),
    events: endpointFields.events,
    segments: endpointFields.segments.optional(),
    npsCategories: endpointFields.npsCategories.optional(),
    enabled: endpointFields.enabled.default(true),
  }),
);

export const webhookUpdateSchema = storableBody(
  z.strictObject({
    url: endpointFields.url.optional(),
    description: endpointFields.description.optional(),
    format: endpointFields.format.optional(),
    events: endpointFields.events.optional(),
    segments: endpointFields.segments.optional(),
    npsCategories: endpointFields.npsCategories.optional(),
    enabled: endpointFields.enabled.optional().describe('true re-enables an endpoint the service disabled (and clears the reason)'),
  }),
);

export const webhookParamsSchema = z.object({ webhookId: idParamSchema(100) });
export const webhookDeliveryParamsSchema = webhookParamsSchema.extend({ messageId: idParamSchema(200) });

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  format: z.enum(WEBHOOK_FORMATS),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  segments: z.array(z.string()).nullable(),
  npsCategories: z.array(z.enum(NPS_CATEGORIES)).nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().describe('why the service disabled it (410 Gone, failing for days), or null'),
  disabledAt: z.string().nullable(),
  failingSince: z.string().nullable().describe('when the deliveries started failing without a success since'),
  previousSecretExpiresAt: z.string().nullable().describe('until then the rotated-out secret signs too'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The endpoint and its secret: the answer to creation (the only time the secret is shown). */
export const createdWebhookSchema = webhookSchema.extend({ secret: z.string().describe('whsec_…: shown this once') });

export const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) });

export const secretRotationInputSchema = z.strictObject({
  overlapHours: z
    .number()
    .min(0, 'must be from 0')
    .max(WEBHOOK_LIMITS.maxSecretOverlapHours, `must be at most ${WEBHOOK_LIMITS.maxSecretOverlapHours}`)
    .default(WEBHOOK_LIMITS.defaultSecretOverlapHours)
    .describe(`hours the old secret keeps signing too (default ${WEBHOOK_LIMITS.defaultSecretOverlapHours}; 0: it stops at once)`),
});

export const secretRotationSchema = z.object({
  secret: z.string().describe('the new whsec_… secret, shown this once'),
  previousSecretExpiresAt: z.string().describe('when the old secret stops signing'),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;

export const webhookDeliveriesQuerySchema = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES, { error: `must be one of ${WEBHOOK_DELIVERY_STATUSES.join(', ')}` }).optional(),
});

export const webhookDeliverySchema = z.object({
  messageId: z.string().describe('the webhook-id header: the same for every attempt'),
  type: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number().int(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable().describe('when the next attempt is due (pending only)'),
  responseStatus: z.number().int().nullable().describe("the receiver's last HTTP status"),
  latencyMs: z.number().int().nullable(),
  error: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  payload: z.unknown().describe('{ type, timestamp, data }'),
});

export const webhookDeliveriesSchema = z.object({ items: z.array(webhookDeliverySchema), nextCursor: z.string().nullable() });

export const webhookSendSchema = z.object({ messageId: z.string(), status: z.enum(WEBHOOK_DELIVERY_STATUSES) });

export type NewWebhook = z.input<typeof newWebhookSchema>;
export type WebhookUpdate = z.input<typeof webhookUpdateSchema>;
export type Webhook = z.output<typeof webhookSchema>;
export type CreatedWebhook = z.output<typeof createdWebhookSchema>;
export type WebhookList = z.output<typeof webhookListSchema>;
export type SecretRotationInput = z.input<typeof secretRotationInputSchema>;
export type SecretRotation = z.output<typeof secretRotationSchema>;
export type WebhookDeliveriesQuery = Partial<z.output<typeof webhookDeliveriesQuerySchema>>;
export type WebhookDelivery = z.output<typeof webhookDeliverySchema>;
export type WebhookDeliveries = z.output<typeof webhookDeliveriesSchema>;
export type WebhookSend = z.output<typeof webhookSendSchema>;
