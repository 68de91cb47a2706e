import { z } from 'zod';

/**
 * Project settings and key rotation (secret key): `GET|PATCH /v1/project`,
 * `POST /v1/project/keys/rotate`. See docs/security.md.
 */

/**
 * An origin as browsers send it: `scheme://host[:port]`, nothing after. Lower-cased, as the
 * Origin header is, so a listed origin matches byte for byte.
 */
export const originSchema = z
  .string()
  .max(300)
  .transform((origin) => origin.toLowerCase())
  .refine((origin) => /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9-]+(\.[a-z0-9-]+)*)(:\d{1,5})?$/.test(origin), {
    error: 'must be an origin, scheme://host[:port] (no path, no trailing slash)',
  });

/** The longest retention a project may set (ten years); unset keeps raw events for ever. */
export const MAX_RETENTION_DAYS = 3650;

export const projectSettingsUpdateSchema = z.strictObject({
  allowedOrigins: z.array(originSchema).max(100).optional().describe('origins allowed to call ingestion and widget routes; [] allows any'),
  requireUserHash: z.boolean().optional().describe('events with a userId must carry a valid context.userHash'),
  retentionDays: z
    .number({ error: `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or null (keep raw events)` })
    .int(`must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or null (keep raw events)`)
    .min(1, `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or null (keep raw events)`)
    .max(MAX_RETENTION_DAYS, `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or null (keep raw events)`)
    .nullable()
    .optional()
    .describe('days raw track and page events are kept (docs/privacy.md, "Retention"); null: kept for ever'),
});

const keyInfoSchema = z.object({
  createdAt: z.string().describe('when the current key was made'),
  previous: z.array(z.object({ retiredAt: z.string(), expiresAt: z.string() })).describe('rotated-out keys still accepted, and when each stops'),
});

export const projectInfoSchema = z.object({
  projectId: z.string(),
  name: z.string(),
  writeKey: z.string().describe('the public write key (it ships in every page)'),
  allowedOrigins: z.array(z.string()),
  requireUserHash: z.boolean(),
  retentionDays: z.number().int().nullable().describe('days raw track and page events are kept; null: kept for ever'),
  eventsExpiredBefore: z.string().nullable().describe('the first UTC day (YYYY-MM-DD) whose raw events are all kept; null: none expired yet'),
  keys: z.object({ write: keyInfoSchema, secret: keyInfoSchema, identity: keyInfoSchema }),
});

export const KEY_KINDS = ['write', 'secret', 'identity'] as const;

/** How long a rotated-out key keeps working unless the rotation says otherwise, and the most it may. */
export const DEFAULT_OVERLAP_HOURS = 24;
export const MAX_OVERLAP_HOURS = 24 * 30;

export const keyRotationInputSchema = z.strictObject({
  kind: z.enum(KEY_KINDS).describe('write, secret or identity'),
  overlapHours: z
    .number()
    .min(0)
    .max(MAX_OVERLAP_HOURS)
    .default(DEFAULT_OVERLAP_HOURS)
    .describe(`hours the old key keeps working (default ${DEFAULT_OVERLAP_HOURS}; 0: it stops at once)`),
});

export const keyRotationSchema = z.object({
  kind: z.enum(KEY_KINDS),
  key: z.string().describe('the new key, shown this once'),
  previousKeyExpiresAt: z.string().describe('when the old key stops working'),
});

export type ProjectInfo = z.output<typeof projectInfoSchema>;
export type ProjectSettingsUpdate = z.input<typeof projectSettingsUpdateSchema>;
export type KeyKind = (typeof KEY_KINDS)[number];
export type KeyRotationInput = z.input<typeof keyRotationInputSchema>;
export type KeyRotation = z.output<typeof keyRotationSchema>;
