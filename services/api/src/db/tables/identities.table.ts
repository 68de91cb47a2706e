/** An anonymousId linked to a userId by an identify; the first link wins (as Mixpanel's merge). */
export type IdentitiesTable = {
  project_id: string;
  anonymous_id: string;
  user_id: string;
  linked_at: Date;
};
