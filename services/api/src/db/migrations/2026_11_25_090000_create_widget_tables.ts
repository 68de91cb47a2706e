import { sql, type Kysely } from 'kysely';

// Widget API: per-project widget settings, and the contact-pressure ledger. Every key leads with
// project_id (Citus distribution column).
export async function up(db: Kysely<unknown>): Promise<void> {
  // Only what the project changed; the service fills in the defaults when it reads.
  await sql`
    create table widget_settings (
      project_id text not null,
      settings jsonb not null default '{}',
      updated_at timestamptz not null default now(),
      primary key (project_id)
    )`.execute(db);
  // One row per in-app prompt the service told a client to show (status 'offered'): recorded
  // when the widget route answers show: true, so per-user and per-account limits hold across
  // devices and cleared storage even when the browser never reports $nps_shown.
  await sql`
    create table widget_contacts (
      project_id text not null,
      contact_id bigint generated always as identity,
      user_id text not null,
      account_id text,
      kind text not null,
      survey_id text not null,
      status text not null,
      shown_at timestamptz not null,
      primary key (project_id, contact_id)
    )`.execute(db);
  await sql`create index widget_contacts_by_user on widget_contacts (project_id, user_id, shown_at)`.execute(db);
  await sql`create index widget_contacts_by_account on widget_contacts (project_id, account_id, shown_at) where account_id is not null`.execute(db);
  // The NPS prompt reads one user's responses and identity links per request: by key, not by scan.
  await sql`create index if not exists nps_responses_by_user on nps_responses (project_id, user_id, timestamp)`.execute(db);
  await sql`create index if not exists identity_links_by_user on identity_links (project_id, user_id)`.execute(db);
}
