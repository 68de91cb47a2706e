import { sql, type Kysely } from 'kysely';

// A group call that carries only an anonymousId joins the user an identify links that anonymousId
// to (docs/api.md, Definitions: identity merge), and a membership starts at the earliest group call, whatever the
// order the calls arrive in. Memberships become derived from the events, so they are recomputed
// here (and by `uptake rebuild`).
export async function up(db: Kysely<unknown>): Promise<void> {
  // The earliest anonymous-only group call per anonymousId and account, linked or not yet.
  await sql`
    create table anonymous_memberships (
      project_id text not null,
      anonymous_id text not null,
      account_id text not null,
      joined_at timestamptz not null,
      primary key (project_id, anonymous_id, account_id)
    )`.execute(db);
  await sql`
    insert into anonymous_memberships (project_id, anonymous_id, account_id, joined_at)
    select project_id, anonymous_id, account_id, min(timestamp) from events
    where type = 'group' and user_id is null and anonymous_id is not null and account_id is not null
    group by 1, 2, 3`.execute(db);
  // joined_at: when the membership counts from in "as of" answers — the user's own earliest group
  // call, or for an anonymous one the later of the call and the start of its link day.
  await sql`delete from memberships`.execute(db);
  await sql`
    insert into memberships (project_id, account_id, user_id, joined_at)
    select project_id, account_id, user_id, min(joined_at) from (
      select project_id, account_id, user_id, timestamp as joined_at from events
      where type = 'group' and user_id is not null and account_id is not null
      union all
      select m.project_id, m.account_id, l.user_id, greatest(m.joined_at, l.link_day::timestamp at time zone 'UTC')
      from anonymous_memberships m
      join identity_links l on l.project_id = m.project_id and l.anonymous_id = m.anonymous_id
    ) joins group by 1, 2, 3`.execute(db);
}
