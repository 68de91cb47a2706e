import { z } from 'zod';
import { EVENT_TYPES, LIMITS, RESERVED_EVENTS } from './limits.ts';
import { timeProblem } from './storable.ts';

/** A time the wire carries: ISO 8601 with a time zone, within the times {@link timeProblem} lets through. */
export function storableTimeSchema(error: string) {
  return z.iso.datetime({ offset: true, local: false, error }).superRefine(refineStorableTime);
}

function refineStorableTime(text: string, ctx: z.RefinementCtx) {
  const problem = timeProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

const isoTimestamp = storableTimeSchema('must be an ISO 8601 date-time with a time zone, e.g. 2026-11-23T10:00:00.000Z');
const isoDateOrTimestamp = z.union([isoTimestamp, z.iso.date().superRefine(refineStorableTime)], {
  error: 'must be an ISO 8601 date or date-time, e.g. 2026-11-23 or 2026-11-23T10:00:00Z',
});

/** Ids are strings; numbers (some server libraries send them) are taken as their decimal text. */
const id = z
  .union([z.string(), z.number().finite()], { error: (issue) => (issue.input === undefined ? 'is required (string)' : 'must be a string') })
  .transform(String)
  .pipe(z.string().min(1, 'must not be empty').max(LIMITS.maxIdLength, `must be at most ${LIMITS.maxIdLength} characters`));
/** `null` is how several Segment libraries say "absent". */
const optionalId = id.nullish().transform((value) => value ?? undefined);
const name = z.string().min(1, 'must not be empty').max(LIMITS.maxNameLength, `must be at most ${LIMITS.maxNameLength} characters`);
const record = z.record(z.string(), z.unknown(), { error: 'must be an object' });

export const contextSchema = z.looseObject({
  groupId: optionalId,
  sessionId: z.string().max(LIMITS.maxIdLength).optional(),
  seq: z.number().int().nonnegative().optional(),
});

export const userTraitsSchema = z.looseObject({
  email: z.string().max(320).nullish(),
  name: z.string().max(LIMITS.maxNameLength).nullish(),
  role: z.string().max(LIMITS.maxNameLength).nullish(),
  isChampion: z.boolean().nullish(),
  createdAt: isoDateOrTimestamp.nullish(),
});

/** `seats` may arrive as a numeric string from CRM syncs; it is stored as an integer. */
const seats = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number')], { error: 'must be a whole number' })
  .transform(Number)
  .pipe(z.number().int('must be a whole number').nonnegative('must not be negative').max(10_000_000));

export const accountTraitsSchema = z.looseObject({
  name: z.string().max(LIMITS.maxNameLength).nullish(),
  plan: z.string().max(LIMITS.maxNameLength).nullish(),
  seats: seats.nullish(),
  onboardedAt: isoDateOrTimestamp.nullish(),
  trial: z.boolean().nullish(),
});

const common = {
  messageId: optionalId,
  timestamp: isoTimestamp.nullish().transform((value) => value ?? undefined),
  userId: optionalId,
  anonymousId: optionalId,
  context: contextSchema.optional(),
};

export const identifyEventSchema = z.looseObject({
  type: z.literal('identify'),
  ...common,
  traits: userTraitsSchema.optional(),
});

export const groupEventSchema = z.looseObject({
  type: z.literal('group'),
  ...common,
  groupId: id,
  traits: accountTraitsSchema.optional(),
});

const reservedName = z.enum(RESERVED_EVENTS, {
  error: `names starting with $ are reserved; known ones: ${RESERVED_EVENTS.join(', ')}`,
});

export const trackEventSchema = z.looseObject({
  type: z.literal('track'),
  ...common,
  event: name.refine((value) => !value.startsWith('$') || reservedName.safeParse(value).success, {
    error: `names starting with $ are reserved; known ones: ${RESERVED_EVENTS.join(', ')}`,
  }),
  properties: record.optional(),
});

export const pageEventSchema = z.looseObject({
  type: z.literal('page'),
  ...common,
  name: name.nullish().transform((value) => value ?? undefined),
  properties: record.optional(),
});

/** Extra checks of the reserved events' properties (docs/protocol.md). */
const reservedProperties: Record<string, z.ZodType> = {
  $session_start: z.looseObject({ sessionId: name }),
  $session_end: z.looseObject({ sessionId: name, durationMs: z.number().nonnegative() }),
  $nps_response: z.looseObject({
    score: z.number().int('must be a whole number from 0 to 10').min(0, 'must be from 0 to 10').max(10, 'must be from 0 to 10'),
    comment: z.string().max(LIMITS.maxEventBytes).nullish(),
    surveyId: name.nullish(),
  }),
  // In-app campaign messages (docs/campaigns.md): the campaign is what results count them by.
  $message_shown: z.looseObject({ campaignId: name }),
  $message_clicked: z.looseObject({ campaignId: name, url: z.string().max(2000).optional() }),
  $message_dismissed: z.looseObject({ campaignId: name }),
};

export const eventSchema = z
  .discriminatedUnion('type', [identifyEventSchema, groupEventSchema, trackEventSchema, pageEventSchema], {
    error: (issue) =>
      issue.code === 'invalid_union' ? `must be one of ${EVENT_TYPES.join(', ')}` : undefined,
  })
  .superRefine((event, ctx) => {
    if (!event.userId && !event.anonymousId) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
    }
    if ((event.type === 'identify' || event.type === 'group') && event.traits) {
      const names = Object.keys(event.traits);
      if (names.length > LIMITS.maxTraitsPerCall) {
        ctx.addIssue({ code: 'custom', path: ['traits'], message: `sets ${names.length} traits; at most ${LIMITS.maxTraitsPerCall} per call (maxTraitsPerCall)` });
      }
      const long = names.find((name) => name.length > LIMITS.maxTraitNameLength);
      if (long !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['traits'], message: `a trait name is ${long.length} characters; at most ${LIMITS.maxTraitNameLength} (maxTraitNameLength)` });
      }
    }
    if (event.type !== 'track') return;
    const schema = reservedProperties[event.event];
    if (!schema) return;
    const result = schema.safeParse(event.properties ?? {});
    if (result.success) return;
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', path: ['properties', ...issue.path], message: issue.message });
    }
  });

export type UptakeEvent = z.output<typeof eventSchema>;
/** What a sender writes: the schema's input side (ids may be numbers, optional fields may be null). */
export type UptakeEventInput = z.input<typeof eventSchema>;
export type IdentifyEvent = z.output<typeof identifyEventSchema>;
export type GroupEvent = z.output<typeof groupEventSchema>;
export type TrackEvent = z.output<typeof trackEventSchema>;
export type PageEvent = z.output<typeof pageEventSchema>;
export type EventContext = z.output<typeof contextSchema>;
