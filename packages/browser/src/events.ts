import { ANONYMOUS_ID, GROUP_ID, LAST_ACTIVITY_AT, NEXT_SEQ, SESSION_ID, STARTED_AT, USER_HASH, USER_ID, type Identity, type Session } from './stored-format.js';
import type { PageContext, Properties } from './types.js';
import { uuid } from './uuid.js';
import { VERSION } from './version.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A protocol v1 event (docs/protocol.md) of `type` with `fields`, at `at`, by `identity`, as the
 * session's next event (its `seq` is taken).
 */
export const makeEvent = (
  type: string,
  fields: Properties,
  at: number,
  identity: Identity,
  session: Session,
  page: PageContext | undefined,
): Properties => ({
  type,
  messageId: uuid(at),
  timestamp: iso(at),
  anonymousId: identity[ANONYMOUS_ID],
  userId: identity[USER_ID],
  ...fields,
  context: {
    groupId: identity[GROUP_ID],
    userHash: identity[USER_HASH],
    sessionId: session[SESSION_ID],
    seq: session[NEXT_SEQ]++,
    library: { name: '@uptake/browser', version: VERSION },
    page,
  },
});

/** `$session_start`: the first event of a session. */
export const sessionStartFields = (session: Session): Properties => ({ event: '$session_start', properties: { sessionId: session[SESSION_ID] } });

/** `$session_end`: timestamped with the session's last event; `durationMs` from its first to its last event. */
export const sessionEndFields = (session: Session): Properties => ({
  event: '$session_end',
  properties: { sessionId: session[SESSION_ID], durationMs: session[LAST_ACTIVITY_AT] - session[STARTED_AT] },
});
