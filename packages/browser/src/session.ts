import { SESSION_TIMEOUT_MS } from './limits.js';
import { LAST_ACTIVITY_AT, NEXT_SEQ, SESSION_ID, STARTED_AT, type Session } from './stored-format.js';
import { uuid } from './uuid.js';

export const startSession = (at: number): Session => ({ [SESSION_ID]: uuid(at), [NEXT_SEQ]: 0, [STARTED_AT]: at, [LAST_ACTIVITY_AT]: at });

/** A session ends after 30 minutes without events. */
export const hasExpired = (session: Session, at: number): boolean => at - session[LAST_ACTIVITY_AT] > SESSION_TIMEOUT_MS;
