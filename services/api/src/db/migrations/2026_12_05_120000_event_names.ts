import { sql, type Kysely } from 'kysely';

// The distinct track event names of each project, and how many: ingestion refuses new names past
// a per-project limit (docs/protocol.md), checking only names it has not seen. Filled from
// event_spans, which holds every name ever stored ('$' names are reserved and not counted).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_names (
      project_id text not null,
      event text not null,
      first_seen_at timestamptz not null default now(),
      primary key (project_id, event)
    )`.execute(db);
  // One row per project, locked by a transaction that adds names: concurrent writers cannot overshoot.
  await sql`
    create table event_name_counts (
      project_id text not null primary key,
      names integer not null
    )`.execute(db);
  await sql`insert into event_names (project_id, event) select distinct project_id, event from event_spans where left(event, 1) <> '$'`.execute(db);
  await sql`insert into event_name_counts (project_id, names) select project_id, count(*)::int from event_names group by project_id`.execute(db);
}
