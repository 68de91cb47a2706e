import { sql, type Kysely } from 'kysely';

// Every table leads with project_id and every key includes it: the distribution column when
// Postgres becomes Citus. Raw SQL so the same text runs on Postgres and PGlite.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table projects (
      project_id text primary key,
      name text not null,
      write_key text not null unique,
      secret_key_hash text not null unique,
      identity_secret text not null,
      allowed_origins jsonb not null default '[]',
      settings jsonb not null default '{}',
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table events (
      project_id text not null,
      message_id text not null,
      type text not null,
      event text,
      user_id text,
      anonymous_id text,
      account_id text,
      timestamp timestamptz not null,
      received_at timestamptz not null,
      sent_at timestamptz,
      properties jsonb,
      context jsonb,
      extra jsonb,
      timestamp_clamped boolean not null default false,
      message_id_generated boolean not null default false,
      primary key (project_id, message_id)
    )`.execute(db);
  await sql`
    create table users (
      project_id text not null,
      user_id text not null,
      traits jsonb not null default '{}',
      updated_at timestamptz not null,
      primary key (project_id, user_id)
    )`.execute(db);
  await sql`
    create table identities (
      project_id text not null,
      anonymous_id text not null,
      user_id text not null,
      linked_at timestamptz not null,
      primary key (project_id, anonymous_id)
    )`.execute(db);
  await sql`
    create table accounts (
      project_id text not null,
      account_id text not null,
      traits jsonb not null default '{}',
      seats integer,
      onboarded_at timestamptz,
      updated_at timestamptz not null,
      primary key (project_id, account_id)
    )`.execute(db);
  await sql`
    create table memberships (
      project_id text not null,
      account_id text not null,
      user_id text not null,
      joined_at timestamptz not null,
      primary key (project_id, account_id, user_id)
    )`.execute(db);
  await sql`create index memberships_by_user on memberships (project_id, user_id)`.execute(db);
  await sql`
    create table ingestion_warnings (
      project_id text not null,
      warning_id bigint generated always as identity,
      received_at timestamptz not null,
      kind text not null,
      message_id text,
      event_index integer,
      errors jsonb not null default '[]',
      payload text,
      primary key (project_id, warning_id)
    )`.execute(db);
}
