import { sql, type Kysely } from 'kysely';

// Answers "as of" a day use only the identity links and seats known by then (docs/api.md, Definitions as the
// oracle reads it). Anonymous-only events now stay in anonymous_day_events and are merged at query
// time, so the derived tables are rebuilt here from the events.
export async function up(db: Kysely<unknown>): Promise<void> {
  // When each anonymousId became its user's (UTC day of the earliest identify linking the pair):
  // an answer as of day d merges only the links made by d.
  await sql`
    create table identity_links (
      project_id text not null,
      anonymous_id text not null,
      user_id text not null,
      link_day date not null,
      primary key (project_id, anonymous_id)
    )`.execute(db);
  // Every group call that set the seats trait, so utilisation as of a past day uses the seats then.
  await sql`
    create table account_seats (
      project_id text not null,
      account_id text not null,
      message_id text not null,
      timestamp timestamptz not null,
      seats double precision,
      primary key (project_id, account_id, message_id)
    )`.execute(db);
  await sql`delete from anonymous_day_events`.execute(db);
  await sql`delete from user_day_events`.execute(db);
  await sql`delete from user_first_seen`.execute(db);
  await sql`
    insert into user_day_events (project_id, user_id, account_key, day, event, count)
    select project_id, user_id, coalesce(account_id, ''), (timestamp at time zone 'UTC')::date,
           case type when 'track' then event when 'page' then '$page' else '$' || type end, count(*)::int
    from events where user_id is not null group by 1, 2, 3, 4, 5`.execute(db);
  await sql`
    insert into anonymous_day_events (project_id, anonymous_id, account_key, day, event, count)
    select project_id, anonymous_id, coalesce(account_id, ''), (timestamp at time zone 'UTC')::date,
           case type when 'track' then event when 'page' then '$page' else '$' || type end, count(*)::int
    from events where user_id is null and anonymous_id is not null group by 1, 2, 3, 4, 5`.execute(db);
  await sql`
    insert into user_first_seen (project_id, user_id, first_day)
    select project_id, user_id, min(day) from user_day_events group by 1, 2`.execute(db);
  await sql`
    insert into identity_links (project_id, anonymous_id, user_id, link_day)
    select i.project_id, i.anonymous_id, i.user_id, min((e.timestamp at time zone 'UTC')::date)
    from identities i
    join events e on e.project_id = i.project_id and e.type = 'identify' and e.anonymous_id = i.anonymous_id and e.user_id = i.user_id
    group by 1, 2, 3`.execute(db);
  await sql`
    insert into account_seats (project_id, account_id, message_id, timestamp, seats)
    select project_id, account_id, message_id, timestamp,
           case when jsonb_typeof(properties->'seats') = 'number' then (properties->>'seats')::float8 end
    from events where type = 'group' and account_id is not null and properties ? 'seats'`.execute(db);
}
