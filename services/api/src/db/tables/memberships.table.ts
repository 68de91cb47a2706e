/** A user belongs to an account (a `group` call). */
export type MembershipsTable = {
  project_id: string;
  account_id: string;
  user_id: string;
  joined_at: Date;
};
