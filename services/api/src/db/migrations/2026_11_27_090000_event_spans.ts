import { sql, type Kysely } from 'kysely';

// Per user (or not yet linked anonymousId), named account and event: the first and the last UTC
// day with such an event. Segment facts read first seen, last active, accounts and features used
// from it instead of scanning every day of user_day_events. Filled from the day tables here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_spans (
      project_id text not null,
      anonymous boolean not null,
      subject_id text not null,
      account_key text not null,
      event text not null,
      first_day date not null,
      last_day date not null,
      primary key (project_id, anonymous, subject_id, account_key, event)
    )`.execute(db);
  await sql`
    insert into event_spans (project_id, anonymous, subject_id, account_key, event, first_day, last_day)
    select project_id, false, user_id, account_key, event, min(day), max(day) from user_day_events group by project_id, user_id, account_key, event
    union all
    select project_id, true, anonymous_id, account_key, event, min(day), max(day) from anonymous_day_events group by project_id, anonymous_id, account_key, event`.execute(db);
}
