/**
 * Wire limits of protocol v1, enforced by the service and respected by every SDK.
 * Sizes are UTF-8 bytes of the JSON text.
 */
export const LIMITS = {
  maxEventsPerBatch: 500,
  maxBatchBytes: 500 * 1024,
  maxEventBytes: 32 * 1024,
  maxIdLength: 200,
  maxNameLength: 200,
  /** Objects and arrays nested deeper than this are rejected: they are never analytics data. */
  maxDepth: 32,
  /** A timestamp this far ahead of the receive time is clamped and flagged as a client clock error. */
  futureFlagMs: 23 * 60 * 60 * 1000,
} as const;

/** Event names that start with `$` are Uptake's own. */
export const RESERVED_EVENTS = [
  '$session_start',
  '$session_end',
  '$nps_shown',
  '$nps_response',
  '$nps_dismissed',
] as const;
export type ReservedEvent = (typeof RESERVED_EVENTS)[number];

export const EVENT_TYPES = ['identify', 'group', 'track', 'page'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
