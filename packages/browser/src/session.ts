import { SESSION_TIMEOUT_MS } from './limits.js';
import { uuid } from './uuid.js';

/** A session (README "What is sent, and when"). Stored as `uptake.s` (see stored-format.ts). */
export type Session = {
  id: string;
  /** `context.seq` of the session's next event. */
  nextSeq: number;
  /** Time of its first event (ms). */
  startedAt: number;
  /** Time of its last event (ms). */
  lastActivityAt: number;
};

export const startSession = (at: number): Session => ({ id: uuid(at), nextSeq: 0, startedAt: at, lastActivityAt: at });

/** A session ends after 30 minutes without events. */
export const hasExpired = (session: Session, at: number): boolean => at - session.lastActivityAt > SESSION_TIMEOUT_MS;
