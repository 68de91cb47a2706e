/**
 * Everything the SDK keeps in localStorage, all under `uptake.` (README "Privacy and consent").
 *
 * The identity and the session are kept in memory as the very records that are stored, so nothing
 * is converted on the way in or out. Their field names are one letter (the storage format since
 * the first release: a page that upgrades the SDK reads what the old one stored), and the code
 * names them only through the constants below.
 */

/** Every key the SDK writes starts with this (`consent(false)` removes them all but {@link CONSENT_KEY}). */
export const STORAGE_PREFIX = 'uptake.';
/** The identity, shared by the tabs: an {@link Identity} as JSON. */
export const IDENTITY_KEY = 'uptake.id';
/** The session, shared by the tabs: a {@link Session} as JSON. */
export const SESSION_KEY = 'uptake.s';
/**
 * One queue per page load, `uptake.q.<tab>`: the page load's unsent events, one JSON event (as sent)
 * per line, oldest first. Tabs never write each other's.
 */
export const QUEUE_PREFIX = 'uptake.q.';
/** The page load's claim on its queue, `uptake.l.<tab>`: the time (ms) until which it holds. */
export const LEASE_PREFIX = 'uptake.l.';
/**
 * The last consent choice made on this site in this browser (a `consent()` call or
 * `consent: 'denied'`), shared by the tabs: the text `granted` or `denied`. Absent until a choice.
 * It is the one key kept when consent is denied, so that the refusal holds on the next page load.
 */
export const CONSENT_KEY = 'uptake.c';

// Fields of the stored identity.
export const ANONYMOUS_ID = 'a';
export const USER_ID = 'u';
export const GROUP_ID = 'g';
export const USER_HASH = 'h';

/** Who is sending; added to every event. */
export type Identity = {
  /** Random, made on the first visit and by `reset()`. */
  [ANONYMOUS_ID]: string;
  /** From `identify`. */
  [USER_ID]?: string;
  /** The current account, from `group` (sent as `context.groupId`). */
  [GROUP_ID]?: string;
  /** Identity verification: `hex(HMAC-SHA256(identitySecret, userId))` from `identify`. */
  [USER_HASH]?: string;
};

/** What `identify` and `group` change. */
export type IdentityChange = Omit<Identity, typeof ANONYMOUS_ID>;

// Fields of the stored session.
export const SESSION_ID = 'i';
export const NEXT_SEQ = 'n';
export const STARTED_AT = 't';
export const LAST_ACTIVITY_AT = 'l';

/** A session (README "What is sent, and when"). */
export type Session = {
  [SESSION_ID]: string;
  /** `context.seq` of the session's next event. */
  [NEXT_SEQ]: number;
  /** Time of its first event (ms). */
  [STARTED_AT]: number;
  /** Time of its last event (ms). */
  [LAST_ACTIVITY_AT]: number;
};

/** A stored record; falsy when absent or not JSON. */
export const readRecord = <T>(text: string | null): T | undefined => {
  try {
    return text && JSON.parse(text);
  } catch {
    // not JSON: as if absent
  }
};
