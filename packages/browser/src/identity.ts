import { uuid } from './uuid.js';

/** Who is sending; added to every event. Stored as `uptake.id` (see stored-format.ts). */
export type Identity = {
  /** Random, made on the first visit and by `reset()`. */
  anonymousId: string;
  /** From `identify`. */
  userId?: string;
  /** The current account, from `group` (sent as `context.groupId`). */
  groupId?: string;
  /** Identity verification: `hex(HMAC-SHA256(identitySecret, userId))` from `identify`. */
  userHash?: string;
};

/** What `identify` and `group` change. */
export type IdentityChange = Omit<Identity, 'anonymousId'>;

/** A new anonymous identity (first visit, `reset()`, consent withdrawn). */
export const anonymousIdentity = (at: number): Identity => ({ anonymousId: uuid(at) });

/** `identity` with `change` applied; a hash belongs to one user, so another user id drops it. */
export const changeIdentity = (identity: Identity, change: IdentityChange): Identity => ({
  ...identity,
  ...(change.userId && change.userId != identity.userId && { userHash: undefined }),
  ...change,
});
