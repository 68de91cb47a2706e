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
