import { sql, type Kysely } from 'kysely';

// The kept active days of a range of days, every user at once (query/metrics.queries.ts
// `keptActiveDays`: retention cohorts, the project's groups), found by index instead of a scan of
// every user's days: the last period of the retention cohorts (a week) read 1.5 M rows at 10 M
// events to keep 110 k. The columns make it enough alone (an index-only scan).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index user_active_days_by_day on user_active_days (project_id, day, user_id)`.execute(db);
}
