import { sql, type Kysely } from 'kysely';

// Segment history (docs/plays.md). The segment watcher keeps, per project and segment, the
// definition it watches (a new definition starts a baseline) and the current members with the
// facts that put them there; every change is appended to segment_transitions, never rewritten.
// The webhook deliveries a transition causes are written in the same transaction (the outbox).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table segment_watches (
      project_id text not null,
      segment_key text not null,
      "of" text not null check ("of" in ('accounts', 'users')),
      name text not null,
      definition text not null,
      model_version integer not null,
      baseline_day date not null,
      checked_day date not null,
      checked_at timestamptz not null default now(),
      primary key (project_id, segment_key)
    )`.execute(db);
  await sql`
    create table segment_memberships (
      project_id text not null,
      segment_key text not null,
      member_id text not null,
      since_day date not null,
      facts jsonb not null,
      model_version integer not null,
      primary key (project_id, segment_key, member_id)
    )`.execute(db);
  await sql`
    create table segment_transitions (
      project_id text not null,
      transition_id bigint generated always as identity,
      segment_key text not null,
      "of" text not null check ("of" in ('accounts', 'users')),
      member_id text not null,
      kind text not null check (kind in ('baseline', 'entered', 'exited')),
      day date not null,
      facts jsonb not null,
      model_version integer not null,
      recorded_at timestamptz not null default now(),
      primary key (project_id, transition_id)
    )`.execute(db);
  // GET /v1/segments/:key/changes: one segment's transitions in order.
  await sql`create index segment_transitions_by_segment on segment_transitions (project_id, segment_key, day, transition_id)`.execute(db);
  // GET /v1/accounts|users/:id/segments/history: one member's transitions in order.
  await sql`create index segment_transitions_by_member on segment_transitions (project_id, "of", member_id, transition_id)`.execute(db);
}
