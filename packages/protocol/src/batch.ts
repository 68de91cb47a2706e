import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { contextSchema, storableTimeSchema } from './events.ts';
import { EXAMPLE_EVENTS } from './examples.ts';

/**
 * The batch envelope. Events are checked one by one afterwards (see `validateEvent`) so that one
 * bad event is reported in `rejected[]` instead of failing the whole batch.
 */
export const batchEnvelopeSchema = z.looseObject({
  writeKey: z.string().max(LIMITS.maxIdLength).optional(),
  sentAt: storableTimeSchema('must be an ISO 8601 date-time with a time zone')
    .nullish()
    .transform((value) => value ?? undefined),
  batch: z
    .array(z.unknown(), { error: 'must be an array of events' })
    .max(LIMITS.maxEventsPerBatch, `must hold at most ${LIMITS.maxEventsPerBatch} events`),
  context: contextSchema.optional(),
})
  // `example`, not `examples`: zod leaves a transforming schema's examples out of its input JSON Schema.
  .meta({ example: { batch: [EXAMPLE_EVENTS.identify, EXAMPLE_EVENTS.group, EXAMPLE_EVENTS.track, EXAMPLE_EVENTS.page] } });

export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const rejectedEventSchema = z.object({
  index: z.number().int(),
  messageId: z.string().optional(),
  errors: z.array(fieldErrorSchema),
});

export const batchResponseSchema = z.object({
  accepted: z.number().int().describe('events stored by this request'),
  duplicates: z.number().int().describe('events whose messageId was already stored (a retry) or repeated in the batch'),
  rejected: z.array(rejectedEventSchema),
});

/** Body of every 4xx/5xx answer. */
export const errorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  path: z.string().optional(),
});

export type BatchEnvelope = z.output<typeof batchEnvelopeSchema>;
export type BatchRequest = z.input<typeof batchEnvelopeSchema>;
export type BatchResponse = z.output<typeof batchResponseSchema>;
export type RejectedEvent = z.output<typeof rejectedEventSchema>;
export type FieldError = z.output<typeof fieldErrorSchema>;
export type ErrorResponse = z.output<typeof errorResponseSchema>;
