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
  /**
   * Trait keys one identify or group call may set (Mixpanel takes 255 properties per event;
   * Amplitude's SDK refuses more than 1,000 per call). More is a loop gone wrong, not a profile.
   */
  maxTraitsPerCall: 255,
  /** Characters of one trait name (Mixpanel's 255). */
  maxTraitNameLength: 255,
  /**
   * Trait keys one user or one account may hold, all its calls merged (Mixpanel's 2,000
   * properties per profile). The service refuses a call that would take the merged traits past
   * it, naming the cap in `rejected`; the calls before it stay.
   */
  maxTraitKeys: 2000,
  /** UTF-8 bytes of one user's or account's merged traits as JSON text (64 KiB, two events' worth). */
  maxTraitBytes: 64 * 1024,
} as const;

/** Event names that start with `$` are Uptake's own. */
export const RESERVED_EVENTS = [
  '$session_start',
  '$session_end',
  '$nps_shown',
  '$nps_response',
  '$nps_dismissed',
  '$message_shown',
  '$message_clicked',
  '$message_dismissed',
] as const;
export type ReservedEvent = (typeof RESERVED_EVENTS)[number];

export const EVENT_TYPES = ['identify', 'group', 'track', 'page'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
