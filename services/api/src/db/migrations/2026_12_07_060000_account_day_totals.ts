import { sql, type Kysely } from 'kysely';

// Each account's kept score points summed per UTC day, with the scored features it used that day
// (docs/architecture.md, "Scores at scale"), per kept score model version: a health series and
// the accounts' health read one row per account and day instead of every member's row or every
// row of the per-day counts. Kept by the score-points fold with the points; versions kept before
// this table existed are filled again by the score-points worker (answers come from the per-day
// counts meanwhile).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table account_day_totals (
      project_id text not null,
      version integer not null,
      day date not null,
      account_id text not null,
      points float8 not null,
      features text[] not null,
      primary key (project_id, version, day, account_id)
    )`.execute(db);
  await sql`update score_point_versions set state = 'filling', updated_at = now()`.execute(db);
}
