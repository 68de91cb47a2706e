import { sql, type Kysely } from 'kysely';

// Kept activity (docs/architecture.md, "Scores at scale"): each identified user's days with
// activity, with the identity links as they are now, and the project's DAU / WAU / MAU per day made
// of them, so the project's active series is read, not recomputed, after every restart. Folded
// from the score-points queue by the same worker; a project's rows are filled once by the worker
// (active_day_projects says which projects are complete).
export async function up(db: Kysely<unknown>): Promise<void> {
  // User first in the key: a fold reads a user's neighbouring days, a correction a few users' rows.
  await sql`
    create table user_active_days (
      project_id text not null,
      user_id text not null,
      day date not null,
      primary key (project_id, user_id, day)
    )`.execute(db);
  // Counts of days after today exist too: a user active today is in the MAU of the next 29 days.
  await sql`
    create table daily_active_users (
      project_id text not null,
      day date not null,
      dau integer not null,
      wau integer not null,
      mau integer not null,
      primary key (project_id, day)
    )`.execute(db);
  await sql`
    create table active_day_projects (
      project_id text not null primary key,
      filled_at timestamptz not null default now()
    )`.execute(db);
}
