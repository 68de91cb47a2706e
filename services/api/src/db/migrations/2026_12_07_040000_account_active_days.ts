import { sql, type Kysely } from 'kysely';

// Kept account activity (docs/architecture.md, "Scores at scale"): each (account, user) pair with
// activity in the account on a UTC day, with the links and memberships as they are now, so the
// segment facts read the pairs of a window instead of every day's rows after each restart.
// Folded and filled with user_active_days: every project is filled again, its account pairs with it.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Day first in the key: readers take a window of days, every account at once.
  await sql`
    create table account_active_days (
      project_id text not null,
      day date not null,
      account_id text not null,
      user_id text not null,
      primary key (project_id, day, account_id, user_id)
    )`.execute(db);
  await sql`delete from active_day_projects`.execute(db);
}
