import { sql, type Kysely } from 'kysely';

// Per trait key, the call whose value a user or account row holds (ingestion/apply-traits.ts): a
// late older call then merges key by key against these stamps instead of refolding the id's
// stored calls. Backfilled from the events in the order ingestion uses: timestamp, received_at,
// then messageId in code-point order. A stamp is [timestamp ms, received_at ms, messageId]. The
// objects are built in the CTEs: Citus refuses a STABLE function (jsonb_build_object) that takes
// columns in an UPDATE's SET on a distributed table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column trait_stamps jsonb not null default '{}'`.execute(db);
  await sql`alter table accounts add column trait_stamps jsonb not null default '{}'`.execute(db);

  await sql`
    with latest as (
      select distinct on (e.project_id, e.user_id, t.key) e.project_id, e.user_id, t.key,
        jsonb_build_array(floor(extract(epoch from e.timestamp) * 1000)::bigint, floor(extract(epoch from e.received_at) * 1000)::bigint, e.message_id) as stamp
      from events e cross join lateral jsonb_each(e.properties) t
      where e.type = 'identify' and e.user_id is not null and jsonb_typeof(e.properties) = 'object'
      order by e.project_id, e.user_id, t.key, e.timestamp desc, e.received_at desc, e.message_id collate "C" desc
    ),
    stamps as (select project_id, user_id, jsonb_build_object('k', jsonb_object_agg(key, stamp)) as trait_stamps from latest group by project_id, user_id)
    update users u set trait_stamps = s.trait_stamps
    from stamps s where u.project_id = s.project_id and u.user_id = s.user_id`.execute(db);

  await sql`
    with latest as (
      select distinct on (e.project_id, e.account_id, t.key) e.project_id, e.account_id, t.key,
        jsonb_build_array(floor(extract(epoch from e.timestamp) * 1000)::bigint, floor(extract(epoch from e.received_at) * 1000)::bigint, e.message_id) as stamp
      from events e cross join lateral jsonb_each(e.properties) t
      where e.type = 'group' and e.account_id is not null and jsonb_typeof(e.properties) = 'object'
      order by e.project_id, e.account_id, t.key, e.timestamp desc, e.received_at desc, e.message_id collate "C" desc
    ),
    stamps as (select project_id, account_id, jsonb_object_agg(key, stamp) as k from latest group by project_id, account_id),
    seats as (
      select distinct on (project_id, account_id) project_id, account_id,
        jsonb_build_array(floor(extract(epoch from timestamp) * 1000)::bigint, floor(extract(epoch from received_at) * 1000)::bigint, message_id) as stamp
      from events where type = 'group' and account_id is not null and jsonb_typeof(properties->'seats') = 'number'
      order by project_id, account_id, timestamp desc, received_at desc, message_id collate "C" desc
    ),
    onboarded as (
      select distinct on (project_id, account_id) project_id, account_id,
        jsonb_build_array(floor(extract(epoch from timestamp) * 1000)::bigint, floor(extract(epoch from received_at) * 1000)::bigint, message_id) as stamp
      from events where type = 'group' and account_id is not null and jsonb_typeof(properties->'onboardedAt') = 'string'
      order by project_id, account_id, timestamp desc, received_at desc, message_id collate "C" desc
    ),
    built as (
      select s.project_id, s.account_id, jsonb_strip_nulls(jsonb_build_object('k', s.k, 'seats', se.stamp, 'onboardedAt', o.stamp)) as trait_stamps
      from stamps s
      left join seats se on se.project_id = s.project_id and se.account_id = s.account_id
      left join onboarded o on o.project_id = s.project_id and o.account_id = s.account_id
    )
    update accounts a set trait_stamps = b.trait_stamps
    from built b where a.project_id = b.project_id and a.account_id = b.account_id`.execute(db);
}
