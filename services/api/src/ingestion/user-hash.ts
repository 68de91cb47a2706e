import type { FieldError } from '@uptake/protocol';
import { userHashMatches } from '../projects/keys.ts';
import type { Project } from '../projects/projects.queries.ts';

/**
 * How the events of a batch prove their userId (docs/protocol.md, "Identity verification"):
 * `context.userHash`, checked against the project's identity secret, required for every event
 * with a userId when the project sets `requireUserHash`.
 */
export type UserVerification =
  | { kind: 'userHash'; required: boolean; matches: (userId: string, hash: string) => boolean }
  /** The operator's own import (the demo, loaded through the CLI): its userIds are taken as verified. */
  | { kind: 'trusted' };

export type UserHashCheck = { verified: boolean; error: FieldError | null };

const HASH_HELP = 'userHash = hex(HMAC-SHA256(identitySecret, userId)), computed by your backend';

/** The project's setting, off unless set to exactly `true` (projects.settings.requireUserHash). */
export function requiresUserHash(project: Project): boolean {
  return project.settings['requireUserHash'] === true;
}

/** The check for one request's batch. A browser's batch repeats one user and hash: each pair is checked once. */
export function userVerificationOf(project: Project): UserVerification {
  const checked = new Map<string, boolean>();
  const matches = (userId: string, hash: string) => {
    // Stored strings never hold NUL (validation rejects it), so it separates the two.
    const key = `${userId}\u0000${hash}`;
    let match = checked.get(key);
    if (match === undefined) checked.set(key, (match = userHashMatches(project, userId, hash)));
    return match;
  };
  return { kind: 'userHash', required: requiresUserHash(project), matches };
}

/**
 * Whether an event's userId is verified by its `context.userHash`, and the rejection when the
 * project requires a valid one. An event without a userId has nothing to verify.
 *
 * @example
 * checkUserHash(userVerificationOf(project), 'u1', hash) // → { verified: true, error: null }
 */
export function checkUserHash(verification: UserVerification | undefined, userId: string | undefined, hash: unknown): UserHashCheck {
  if (userId === undefined || verification === undefined) return { verified: false, error: null };
  if (verification.kind === 'trusted') return { verified: true, error: null };
  const verified = typeof hash === 'string' && verification.matches(userId, hash);
  if (verified || !verification.required) return { verified, error: null };
  const message =
    hash === undefined || hash === null || hash === ''
      ? `missing: this project requires identity verification (requireUserHash) on every event with a userId; send ${HASH_HELP}`
      : typeof hash === 'string'
        ? `does not match userId: ${HASH_HELP}`
        : `must be a string: ${HASH_HELP}`;
  return { verified: false, error: { path: 'context.userHash', message } };
}

/** `context` without `userHash`: the hash is checked, never stored. */
export function contextWithoutUserHash(context: Record<string, unknown> | null): Record<string, unknown> | null {
  if (context === null || !('userHash' in context)) return context;
  const { userHash: _hash, ...rest } = context;
  return rest;
}

/** An event as sent, without `context.userHash`, for the ingestion warnings that keep it. */
export function payloadWithoutUserHash(raw: unknown): unknown {
  if (!isObject(raw) || !isObject(raw['context']) || !('userHash' in raw['context'])) return raw;
  return { ...raw, context: contextWithoutUserHash(raw['context']) };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
