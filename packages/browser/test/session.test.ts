// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { SESSION_TIMEOUT_MS } from '../src/limits.ts';
import { hasExpired, sessionEndFields, sessionStartFields, startSession } from '../src/session.ts';

describe('session rules', () => {
  it('a session ends after 30 minutes without events, not at 30 minutes', () => {
    const at = Date.parse('2026-12-05T10:00:00Z');
    const session = startSession(at);
    expect(hasExpired(session, at + SESSION_TIMEOUT_MS)).toBe(false);
    expect(hasExpired(session, at + SESSION_TIMEOUT_MS + 1)).toBe(true);
  });

  it('starts at seq 0 and reports its id and duration in $session_start / $session_end', () => {
    const at = Date.parse('2026-12-05T10:00:00Z');
    const session = startSession(at);
    expect(session).toEqual({ i: expect.stringMatching(/^[0-9a-f-]{36}$/), n: 0, t: at, l: at });
    expect(sessionStartFields(session)).toEqual({ event: '$session_start', properties: { sessionId: session.i } });
    session.l = at + 90_000;
    expect(sessionEndFields(session)).toEqual({ event: '$session_end', properties: { sessionId: session.i, durationMs: 90_000 } });
  });
});
