import { sql, type Kysely } from 'kysely';

// Retention of raw events (docs/privacy.md, "Retention"): a project's `retention_days` (null: keep
// everything) and `events_expired_before`, the first UTC day whose raw events are all still kept
// (null: nothing ever expired). The rebuild keeps the per-day figures of the days before it,
// because their raw events are gone. The partial index lets the retention worker find a project's
// oldest track and page events without scanning the table (identify and group calls have theirs,
// events_trait_calls).
export async function up(db: Kysely<unknown>): Promise<void> {
  // The check added on its own: Citus refuses ADD COLUMN with a constraint on a distributed or
  // reference table (same constraint name as the inline form).
  await sql`alter table projects add column retention_days integer`.execute(db);
  await sql`alter table projects add constraint projects_retention_days_check check (retention_days between 1 and 3650)`.execute(db);
  await sql`alter table projects add column events_expired_before date`.execute(db);
  await sql`create index events_activity_by_time on events (project_id, timestamp) where type in ('track', 'page')`.execute(db);
}
