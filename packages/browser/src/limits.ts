/**
 * Numbers the SDK lives by. The first three mirror `LIMITS` of `@uptake/protocol` (a unit test keeps
 * them equal); they are plain constants so that zod never reaches the bundle and terser can inline them.
 */

/** Events per `POST /v1/batch` (protocol `LIMITS.maxEventsPerBatch`). */
export const MAX_BATCH_EVENTS = 500;
/** UTF-8 bytes per batch body (protocol `LIMITS.maxBatchBytes`). */
export const MAX_BATCH_BYTES = 500 * 1024;
/** UTF-8 bytes per event (protocol `LIMITS.maxEventBytes`); bigger events are dropped and reported. */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Bytes per `navigator.sendBeacon` call (browsers refuse bigger bodies). */
export const MAX_BEACON_BYTES = 64 * 1024;

/** The stored queue keeps at most this many events; on overflow the oldest are dropped and counted. */
export const MAX_QUEUE_EVENTS = 1000;
/** …and at most this many characters (localStorage quotas are ~5 M characters per origin). */
export const MAX_QUEUE_CHARS = 1_000_000;

/** A session ends after 30 minutes without activity. */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
/** A tab's claim on its stored queue; another tab adopts the queue once the claim has expired. */
export const LEASE_MS = 60_000;

/** First retry waits up to 1 s, then 2 s, 4 s … (full jitter) … */
export const RETRY_BASE_MS = 1000;
/** … never more than a minute. */
export const RETRY_CAP_MS = 60_000;

/** Calls made before `init` are kept (in order) up to this many. */
export const MAX_PENDING_CALLS = 100;
