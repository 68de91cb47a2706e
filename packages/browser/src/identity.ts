import { ANONYMOUS_ID, USER_HASH, USER_ID, type Identity } from './stored-format.js';
import { uuid } from './uuid.js';

/** What `identify` and `group` change. */
export type IdentityChange = Omit<Identity, typeof ANONYMOUS_ID>;

/** A new anonymous identity (first visit, `reset()`, consent withdrawn). */
export const anonymousIdentity = (at: number): Identity => ({ [ANONYMOUS_ID]: uuid(at) });

/** `identity` with `change` applied; a hash belongs to one user, so another user id drops it. */
export const changeIdentity = (identity: Identity, change: IdentityChange): Identity => {
  if (change[USER_ID] && change[USER_ID] != identity[USER_ID]) identity[USER_HASH] = undefined;
  return { ...identity, ...change };
};
