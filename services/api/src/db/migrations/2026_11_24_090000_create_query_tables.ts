import { sql, type Kysely } from 'kysely';

// Derived tables for the query API, kept up to date inside the ingestion transaction and
// recomputable from `events` with `uptake rebuild`. Every key leads with project_id.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Events per identified user, account named in the event ('' = none), UTC day and event key
  // (track name, '$page', '$identify', '$group'). Anonymous events land here once linked.
  await sql`
    create table user_day_events (
      project_id text not null,
      user_id text not null,
      account_key text not null,
      day date not null,
      event text not null,
      count integer not null,
      primary key (project_id, user_id, day, account_key, event)
    )`.execute(db);
  await sql`create index user_day_events_by_day on user_day_events (project_id, day)`.execute(db);
  await sql`create index user_day_events_by_account on user_day_events (project_id, account_key, day) where account_key <> ''`.execute(db);
  // Events of anonymousIds not (yet) linked to a user; moved to user_day_events on identify.
  await sql`
    create table anonymous_day_events (
      project_id text not null,
      anonymous_id text not null,
      account_key text not null,
      day date not null,
      event text not null,
      count integer not null,
      primary key (project_id, anonymous_id, day, account_key, event)
    )`.execute(db);
  // Every $nps_response (few per user), resolved to a user at query time through identities.
  await sql`
    create table nps_responses (
      project_id text not null,
      message_id text not null,
      user_id text,
      anonymous_id text,
      account_id text,
      timestamp timestamptz not null,
      score integer not null,
      primary key (project_id, message_id)
    )`.execute(db);
  await sql`create index nps_responses_by_time on nps_responses (project_id, timestamp)`.execute(db);
  await sql`
    create table user_first_seen (
      project_id text not null,
      user_id text not null,
      first_day date not null,
      primary key (project_id, user_id)
    )`.execute(db);
  await sql`
    create table account_first_seen (
      project_id text not null,
      account_id text not null,
      first_day date not null,
      primary key (project_id, account_id)
    )`.execute(db);
  await sql`
    create table score_models (
      project_id text not null,
      version integer not null,
      features jsonb not null,
      window_days integer not null,
      daily_cap integer not null,
      status text not null,
      created_at timestamptz not null default now(),
      primary key (project_id, version)
    )`.execute(db);
  await sql`create unique index score_models_one_active on score_models (project_id) where status = 'active'`.execute(db);
  await sql`
    create table segments (
      project_id text not null,
      key text not null,
      name text not null,
      of text not null,
      rule jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (project_id, key)
    )`.execute(db);
}
