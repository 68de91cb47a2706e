/**
 * Everything the SDK keeps in localStorage, all under `uptake.` (README "Privacy and consent").
 *
 * The stored identity and session have had one-letter fields since the first release. They are a
 * storage format: a page that upgrades the SDK must read what the old one stored (its anonymous id,
 * its session, its unsent events), so they stay as they are and are mapped to readable names here,
 * at the edge, and nowhere else.
 */
import type { Identity } from './identity.js';
import type { Session } from './session.js';

/** Every key the SDK writes starts with this (`consent(false)` removes them all). */
export const STORAGE_PREFIX = 'uptake.';
/** The identity, shared by the tabs: `{"a":anonymousId,"u":userId,"g":groupId,"h":userHash}`. */
export const IDENTITY_KEY = 'uptake.id';
/** The session, shared by the tabs: `{"i":id,"n":nextSeq,"t":startedAt,"l":lastActivityAt}`. */
export const SESSION_KEY = 'uptake.s';
/**
 * One queue per page load, `uptake.q.<tab>`: the page load's unsent events, one JSON event (as sent)
 * per line, oldest first. Tabs never write each other's.
 */
export const QUEUE_PREFIX = 'uptake.q.';
/** The page load's claim on its queue, `uptake.l.<tab>`: the time (ms) until which it holds. */
export const LEASE_PREFIX = 'uptake.l.';

/** Readable field → its name in storage. */
type FieldNames<T> = { readonly [Field in keyof T]-?: string };

const IDENTITY_FIELDS: FieldNames<Identity> = { anonymousId: 'a', userId: 'u', groupId: 'g', userHash: 'h' };
const SESSION_FIELDS: FieldNames<Session> = { id: 'i', nextSeq: 'n', startedAt: 't', lastActivityAt: 'l' };

const encode = <T extends object>(fields: FieldNames<T>, value: T | undefined): string | undefined =>
  value && JSON.stringify(Object.fromEntries(Object.entries(fields).map(([field, stored]) => [stored, value[field as keyof T]])));

const decode = <T extends object>(fields: FieldNames<T>, text: string | null): T | undefined => {
  try {
    const stored = text && JSON.parse(text);
    if (stored) return Object.fromEntries(Object.entries(fields).map(([field, name]) => [field, stored[name as string]])) as T;
  } catch {
    // not JSON: as if absent
  }
};

export const encodeIdentity = (identity: Identity): string => encode(IDENTITY_FIELDS, identity)!;
export const decodeIdentity = (text: string | null): Identity | undefined => decode(IDENTITY_FIELDS, text);
/** `undefined` (no session) removes the stored one. */
export const encodeSession = (session: Session | undefined): string | undefined => encode(SESSION_FIELDS, session);
export const decodeSession = (text: string | null): Session | undefined => decode(SESSION_FIELDS, text);
