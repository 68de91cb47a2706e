/**
 * The earliest `group` call sent with only an anonymousId, per anonymousId and account, linked to
 * a user or not yet. Once an identify links the anonymousId, the membership is the user's.
 */
export type AnonymousMembershipsTable = {
  project_id: string;
  anonymous_id: string;
  account_id: string;
  joined_at: Date;
};
