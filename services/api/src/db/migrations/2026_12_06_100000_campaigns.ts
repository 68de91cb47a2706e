import { sql, type Kysely } from 'kysely';

// In-app campaigns (docs/campaigns.md). `campaigns`: the definitions (who, what, when, holdout,
// goal), one row per campaign; its parts are JSON because they are read whole and validated at the
// edge. `campaign_assignments`: every time the widget API would have shown a campaign to a user,
// the group the stable hash put them in (exposed: shown; holdout: never shown, recorded so results
// can count them). Results read assignments by campaign, the widget API by user: both keys lead
// with project_id.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table campaigns (
      project_id text not null,
      campaign_id text not null,
      name text not null,
      kind text not null,
      enabled boolean not null default false,
      audience jsonb not null,
      message jsonb not null,
      schedule jsonb not null,
      holdout_share double precision not null check (holdout_share >= 0 and holdout_share <= 0.5),
      goal jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (project_id, campaign_id)
    )`.execute(db);
  await sql`
    create table campaign_assignments (
      project_id text not null,
      campaign_id text not null,
      assignment_id bigint generated always as identity,
      user_id text not null,
      "group" text not null check ("group" in ('exposed', 'holdout')),
      assigned_at timestamptz not null,
      primary key (project_id, campaign_id, assignment_id)
    )`.execute(db);
  await sql`create index campaign_assignments_by_user on campaign_assignments (project_id, user_id, campaign_id, assigned_at)`.execute(db);
}
