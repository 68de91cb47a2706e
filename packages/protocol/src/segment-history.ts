import { z } from 'zod';
import { queryDaySchema } from './query.ts';

/**
 * Segment history (docs/plays.md): who entered and left each segment, and when. Answers of
 * `GET /v1/segments/:key/changes` and `GET /v1/{accounts,users}/:id/segments/history`.
 */

const limitSchema = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(100);
const cursorSchema = z.string().max(1000).optional().describe('nextCursor of the previous page');

export const segmentChangesQuerySchema = z.object({
  since: queryDaySchema.optional().describe('first UTC day of transitions (default: 29 days before until)'),
  until: queryDaySchema.optional().describe('last UTC day of transitions (default: today)'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const segmentHistoryQuerySchema = z.object({ limit: limitSchema, cursor: cursorSchema });

const kind = z.enum(['accounts', 'users']);

export const segmentTransitionSchema = z.object({
  transitionId: z.number().int().describe('increasing in the order transitions were recorded'),
  kind: z.enum(['baseline', 'entered', 'exited']).describe('baseline: a member when the watch (re)started, not an entry'),
  segment: z.object({ key: z.string(), name: z.string(), of: kind }),
  memberId: z.string().describe('the accountId or userId'),
  day: z.string().describe('UTC as-of day of the figures that showed the transition'),
  facts: z.record(z.string(), z.unknown()).describe('the facts that decided it (for an exit: as the figures showed the member then)'),
  modelVersion: z.number().int().describe('score model version of the figures'),
  recordedAt: z.string().describe('when the transition was found'),
});

export const segmentChangesSchema = z.object({
  segment: z.object({ key: z.string(), name: z.string(), of: kind }),
  since: z.string(),
  until: z.string(),
  items: z.array(segmentTransitionSchema).describe('entries and exits, oldest first'),
  nextCursor: z.string().nullable(),
});

export const memberSegmentHistorySchema = z.object({
  id: z.string(),
  of: kind,
  current: z.array(z.object({ key: z.string(), name: z.string(), since: z.string().describe('day it entered (or the baseline day)') })).describe('the segments it is in as last recorded, by key'),
  items: z.array(segmentTransitionSchema).describe('baselines, entries and exits, oldest first'),
  nextCursor: z.string().nullable(),
});

export type SegmentTransition = z.output<typeof segmentTransitionSchema>;
export type SegmentChanges = z.output<typeof segmentChangesSchema>;
export type MemberSegmentHistory = z.output<typeof memberSegmentHistorySchema>;
