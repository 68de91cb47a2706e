import { z } from 'zod';
import { queryDayProblem } from './query.ts';

/**
 * Export API (secret key): a project's raw events and everything stored about one person
 * (docs/privacy.md, "Export"). Both answers are streams; these schemas are their parameters and
 * the shape of their records.
 */

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The columns of `GET /v1/events/export?format=csv`, in this order. `properties`, `context` and
 * `extra` are JSON text (properties of track/page calls, traits of identify/group calls).
 */
export const EVENT_CSV_COLUMNS = ['messageId', 'type', 'event', 'userId', 'anonymousId', 'accountId', 'timestamp', 'receivedAt', 'sentAt', 'properties', 'context', 'extra'] as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A bound of an export range: a UTC day (`2026-12-01`, its first or last millisecond) or an ISO
 * timestamp with an offset. Days and times outside the query API's days are refused.
 */
const rangeBound = (edge: 'start' | 'end') =>
  z
    .string()
    .max(40, 'must be a date YYYY-MM-DD or an ISO timestamp')
    .transform((text, ctx) => {
      const isDay = DAY.test(text);
      const valid = isDay ? z.iso.date().safeParse(text).success : z.iso.datetime({ offset: true }).safeParse(text).success;
      const at = valid ? new Date(isDay ? `${text}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : text) : undefined;
      if (!at || Number.isNaN(at.getTime())) {
        ctx.addIssue({ code: 'custom', message: 'must be a date YYYY-MM-DD or an ISO timestamp with an offset' });
        return z.NEVER;
      }
      const problem = queryDayProblem(at.toISOString().slice(0, 10));
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return at;
    });

export const eventsExportQuerySchema = z
  .object({
    from: rangeBound('start').describe('first UTC day (from its start) or ISO timestamp, inclusive').meta({ example: '2026-11-01' }),
    to: rangeBound('end').describe('last UTC day (to its end) or ISO timestamp, inclusive').meta({ example: '2026-11-30' }),
    format: z.enum(EXPORT_FORMATS, { error: 'must be ndjson or csv' }).default('ndjson'),
  })
  .superRefine((query, ctx) => {
    if (query.from > query.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  });

export type EventsExportQuery = { from: string; to: string; format?: ExportFormat };

/** One event as exported: the fields it was sent with, its resolved account and when it was received. */
export type ExportedEvent = {
  messageId: string;
  type: 'identify' | 'group' | 'track' | 'page';
  event?: string;
  name?: string;
  userId: string | null;
  anonymousId: string | null;
  groupId?: string;
  accountId: string | null;
  timestamp: string;
  sentAt: string | null;
  receivedAt: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: Record<string, unknown> | null;
  [extra: string]: unknown;
};

/** The kinds of record `GET /v1/users/:userId/export` streams, one JSON object per line, each with `kind`. */
export const USER_EXPORT_KINDS = [
  'export',
  'user',
  'first_seen',
  'identity',
  'identity_link',
  'membership',
  'verified_membership',
  'anonymous_membership',
  'event',
  'day_events',
  'anonymous_day_events',
  'event_span',
  'score_points',
  'active_day',
  'account_active_day',
  'account_score_points',
  'queued_score_day',
  'nps_response',
  'widget_contact',
  'campaign_assignment',
  'segment_membership',
  'segment_transition',
  'webhook_delivery',
  'ingestion_warning',
] as const;
export type UserExportKind = (typeof USER_EXPORT_KINDS)[number];

/** One line of a user export. */
export type UserExportRecord = { kind: UserExportKind; [field: string]: unknown };
