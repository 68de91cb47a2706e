import { SESSION_TIMEOUT_MS } from './limits.js';
import { LAST_ACTIVITY_AT, NEXT_SEQ, SESSION_ID, STARTED_AT, type Session } from './stored-format.js';
import type { Properties } from './types.js';
import { uuid } from './uuid.js';

/** A session that starts at `at` (README "What is sent, and when"). */
export const startSession = (at: number): Session => ({ [SESSION_ID]: uuid(at), [NEXT_SEQ]: 0, [STARTED_AT]: at, [LAST_ACTIVITY_AT]: at });

/** A session ends after 30 minutes without events. */
export const hasExpired = (session: Session, at: number): boolean => at - session[LAST_ACTIVITY_AT] > SESSION_TIMEOUT_MS;

/** `$session_start`, the session's first event. */
export const sessionStartFields = (session: Session): Properties => ({ event: '$session_start', properties: { sessionId: session[SESSION_ID] } });

/** `$session_end`, timestamped with the session's last event: `durationMs` from its first to its last event. */
export const sessionEndFields = (session: Session): Properties => ({
  event: '$session_end',
  properties: { sessionId: session[SESSION_ID], durationMs: session[LAST_ACTIVITY_AT] - session[STARTED_AT] },
});
