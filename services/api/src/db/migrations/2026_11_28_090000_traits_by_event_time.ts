import { sql, type Kysely } from 'kysely';

// User and account traits (with seats and onboarded_at) follow the latest call by event time,
// whatever order the calls arrive in (ingestion/apply-traits.ts): rows keep the time of the latest
// call folded in, and a late older call refolds its user or account from the stored calls, found
// by id through the two partial indexes. Rows written before were merged in arrival order, so they
// are refolded here from the events, in the order ingestion uses: timestamp, received_at, then
// messageId in code-point order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_identify_by_user on events (project_id, user_id) where type = 'identify'`.execute(db);
  await sql`create index events_group_by_account on events (project_id, account_id) where type = 'group'`.execute(db);
  // A row without a stored call (none should exist) keeps its traits; any call is later.
  await sql`alter table users add column traits_at timestamptz not null default '-infinity'`.execute(db);
  await sql`alter table accounts add column traits_at timestamptz not null default '-infinity'`.execute(db);
  await sql`alter table users alter column traits_at drop default`.execute(db);
  await sql`alter table accounts alter column traits_at drop default`.execute(db);

  await sql`
    with latest as (
      select distinct on (e.project_id, e.user_id, t.key) e.project_id, e.user_id, t.key, t.value
      from events e cross join lateral jsonb_each(e.properties) t
      where e.type = 'identify' and e.user_id is not null and jsonb_typeof(e.properties) = 'object'
      order by e.project_id, e.user_id, t.key, e.timestamp desc, e.received_at desc, e.message_id collate "C" desc
    ),
    folded as (select project_id, user_id, jsonb_object_agg(key, value) as traits from latest group by project_id, user_id),
    calls as (
      select project_id, user_id, max(timestamp) as traits_at from events
      where type = 'identify' and user_id is not null group by project_id, user_id
    )
    update users u set traits = coalesce(f.traits, '{}'), traits_at = c.traits_at
    from calls c left join folded f on f.project_id = c.project_id and f.user_id = c.user_id
    where u.project_id = c.project_id and u.user_id = c.user_id`.execute(db);

  // seats: the latest numeric seats trait; onboarded_at: the latest string onboardedAt (a date is
  // UTC midnight, a date-time to the millisecond, as JavaScript's Date reads them).
  await sql`
    with latest as (
      select distinct on (e.project_id, e.account_id, t.key) e.project_id, e.account_id, t.key, t.value
      from events e cross join lateral jsonb_each(e.properties) t
      where e.type = 'group' and e.account_id is not null and jsonb_typeof(e.properties) = 'object'
      order by e.project_id, e.account_id, t.key, e.timestamp desc, e.received_at desc, e.message_id collate "C" desc
    ),
    folded as (select project_id, account_id, jsonb_object_agg(key, value) as traits from latest group by project_id, account_id),
    seats as (
      select distinct on (project_id, account_id) project_id, account_id, (properties->>'seats')::numeric::integer as seats
      from events where type = 'group' and account_id is not null and jsonb_typeof(properties->'seats') = 'number'
      order by project_id, account_id, timestamp desc, received_at desc, message_id collate "C" desc
    ),
    onboarded as (
      select project_id, account_id, case
          when length(onboarded_at) = 10 then (onboarded_at || 'T00:00:00Z')::timestamptz
          else date_trunc('milliseconds', onboarded_at::timestamptz)
        end as onboarded_at
      from (
        select distinct on (project_id, account_id) project_id, account_id, properties->>'onboardedAt' as onboarded_at
        from events where type = 'group' and account_id is not null and jsonb_typeof(properties->'onboardedAt') = 'string'
        order by project_id, account_id, timestamp desc, received_at desc, message_id collate "C" desc
      ) latest_call
    ),
    calls as (
      select project_id, account_id, max(timestamp) as traits_at from events
      where type = 'group' and account_id is not null group by project_id, account_id
    )
    update accounts a set
      traits = coalesce(f.traits, '{}'),
      traits_at = c.traits_at,
      seats = s.seats,
      -- Cast in the CTE, not here: Citus refuses a non-IMMUTABLE cast inside CASE in an UPDATE's SET.
      onboarded_at = o.onboarded_at
    from calls c
    left join folded f on f.project_id = c.project_id and f.account_id = c.account_id
    left join seats s on s.project_id = c.project_id and s.account_id = c.account_id
    left join onboarded o on o.project_id = c.project_id and o.account_id = c.account_id
    where a.project_id = c.project_id and a.account_id = c.account_id`.execute(db);
}
