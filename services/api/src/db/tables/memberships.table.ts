/**
 * A user belongs to an account (a `group` call). Derived from the events (`uptake rebuild`
 * recomputes it). `joined_at` is when the membership counts from in "as of" answers: the user's
 * earliest own group call; for a group call sent with only an anonymousId, the later of that call
 * and the start of the UTC day the anonymousId was linked to the user (identity_links.link_day).
 */
export type MembershipsTable = {
  project_id: string;
  account_id: string;
  user_id: string;
  joined_at: Date;
};

/**
 * The memberships that open an account's figures in widgets (docs/widgets.md): a `group` call
 * that carried a userId, the account, and a valid `context.userHash` for that userId. Derived from
 * events.user_verified (`uptake rebuild` recomputes it). `joined_at`: the earliest such call.
 */
export type VerifiedMembershipsTable = {
  project_id: string;
  user_id: string;
  account_id: string;
  joined_at: Date;
};
