import type { Identity } from './identity.js';
import type { Session } from './session.js';
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
  anonymousId: identity.anonymousId,
  userId: identity.userId,
  ...fields,
  context: {
    groupId: identity.groupId,
    userHash: identity.userHash,
    sessionId: session.id,
    seq: session.nextSeq++,
    library: { name: '@uptake/browser', version: VERSION },
    page,
  },
});

/** `$session_start`: the first event of a session. */
export const sessionStartFields = (session: Session): Properties => ({ event: '$session_start', properties: { sessionId: session.id } });

/** `$session_end`: timestamped with the session's last event; `durationMs` from its first to its last event. */
export const sessionEndFields = (session: Session): Properties => ({
  event: '$session_end',
  properties: { sessionId: session.id, durationMs: session.lastActivityAt - session.startedAt },
});
