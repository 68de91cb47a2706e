import { sql, type Kysely } from 'kysely';

// Score points kept in the database (docs/architecture.md, "Scores at scale"): each user's and
// each account member's points per UTC day under every active or shadow score model version, so
// a score table is one sum over the window's rows instead of a recomputation from the per-day
// counts after every restart. Ingestion queues the days it changed in the transaction that stores
// the events; the score-points worker folds the queue into the points. Points are those of the
// identity links and memberships as they are now; an answer as of an earlier day, or while days
// are queued, recomputes the few ids they change.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Which versions have points: 'filling' while the backfill runs (ingestion already maintains
  // them), 'ready' once every day is there.
  await sql`
    create table score_point_versions (
      project_id text not null,
      version integer not null,
      state text not null check (state in ('filling', 'ready')),
      updated_at timestamptz not null default now(),
      primary key (project_id, version)
    )`.execute(db);
  // Day first in the key: a window's rows are one range of it.
  await sql`
    create table user_day_points (
      project_id text not null,
      version integer not null,
      day date not null,
      user_id text not null,
      points float8 not null,
      primary key (project_id, version, day, user_id)
    )`.execute(db);
  await sql`
    create table account_day_points (
      project_id text not null,
      version integer not null,
      day date not null,
      account_id text not null,
      user_id text not null,
      points float8 not null,
      primary key (project_id, version, day, account_id, user_id)
    )`.execute(db);
  // Days whose points are not folded yet: a user's day, an anonymousId's day (its linked user's),
  // or every day of a user (day = -infinity: a new link or join).
  await sql`
    create table score_point_queue (
      project_id text not null,
      anonymous boolean not null,
      subject_id text not null,
      day date not null,
      primary key (project_id, anonymous, subject_id, day)
    )`.execute(db);
  // The corrections of an answer as of a past day: links and joins made after it.
  await sql`create index identity_links_by_day on identity_links (project_id, link_day)`.execute(db);
  await sql`create index memberships_by_joined_at on memberships (project_id, joined_at)`.execute(db);
}
