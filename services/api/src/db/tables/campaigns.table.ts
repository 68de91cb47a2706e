import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;

/** A campaign (docs/campaigns.md); audience, message, schedule and goal as validated by @uptake/protocol. */
export type CampaignsTable = {
  project_id: string;
  campaign_id: string;
  name: string;
  kind: string;
  enabled: Generated<boolean>;
  audience: Json<unknown>;
  message: Json<unknown>;
  schedule: Json<unknown>;
  holdout_share: number;
  goal: Json<unknown>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type AssignmentGroup = 'exposed' | 'holdout';

/** Every time the widget API would have shown a campaign to a user, and the group the holdout hash chose. */
export type CampaignAssignmentsTable = {
  project_id: string;
  campaign_id: string;
  assignment_id: ColumnType<string, never, never>;
  user_id: string;
  group: AssignmentGroup;
  assigned_at: Date;
};
