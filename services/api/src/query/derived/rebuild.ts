import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { markAllProjectsChanged } from './data-version.ts';

const DERIVED_TABLES = ['user_day_events', 'anonymous_day_events', 'nps_responses', 'user_first_seen', 'account_first_seen', 'identity_links', 'account_seats'] as const;

/**
 * Recomputes every derived table from the stored events (all projects, or one), in one
 * transaction: the answers afterwards equal those kept up to date by ingestion.
 *
 * @example
 * await rebuildDerivedTables(db);              // everything
 * await rebuildDerivedTables(db, 'prj_123');   // one project
 */
export async function rebuildDerivedTables(db: Kysely<Database>, projectId?: string): Promise<void> {
  const only = projectId === undefined ? sql`true` : sql`e.project_id = ${projectId}`;
  await db.transaction().execute(async (trx) => {
    for (const table of DERIVED_TABLES) {
      if (projectId === undefined) await sql`delete from ${sql.table(table)}`.execute(trx);
      else await sql`delete from ${sql.table(table)} where project_id = ${projectId}`.execute(trx);
    }
    const keyed = sql`
      select e.project_id, e.user_id, e.anonymous_id, coalesce(e.account_id, '') as account_key,
             (e.timestamp at time zone 'UTC')::date as day,
             case e.type when 'track' then e.event when 'page' then '$page' else '$' || e.type end as event
      from events e where ${only}`;
    await sql`
      insert into user_day_events (project_id, user_id, account_key, day, event, count)
      select project_id, user_id, account_key, day, event, count(*)::int from (${keyed}) r
      where user_id is not null group by project_id, user_id, account_key, day, event`.execute(trx);
    await sql`
      insert into anonymous_day_events (project_id, anonymous_id, account_key, day, event, count)
      select project_id, anonymous_id, account_key, day, event, count(*)::int from (${keyed}) r
      where user_id is null and anonymous_id is not null group by project_id, anonymous_id, account_key, day, event`.execute(trx);
    await sql`
      insert into identity_links (project_id, anonymous_id, user_id, link_day)
      select i.project_id, i.anonymous_id, i.user_id, min((e.timestamp at time zone 'UTC')::date)
      from identities i
      join events e on e.project_id = i.project_id and e.type = 'identify' and e.anonymous_id = i.anonymous_id and e.user_id = i.user_id
      where ${projectId === undefined ? sql`true` : sql`i.project_id = ${projectId}`}
      group by i.project_id, i.anonymous_id, i.user_id`.execute(trx);
    await sql`
      insert into account_seats (project_id, account_id, message_id, timestamp, seats)
      select e.project_id, e.account_id, e.message_id, e.timestamp,
             case when jsonb_typeof(e.properties->'seats') = 'number' then (e.properties->>'seats')::float8
                  when jsonb_typeof(e.properties->'seats') = 'string' and (e.properties->>'seats') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then trim(e.properties->>'seats')::float8
             end
      from events e
      where ${only} and e.type = 'group' and e.account_id is not null and e.properties ? 'seats'`.execute(trx);
    await sql`
      insert into user_first_seen (project_id, user_id, first_day)
      select project_id, user_id, min(day) from user_day_events
      where ${projectId === undefined ? sql`true` : sql`project_id = ${projectId}`} group by project_id, user_id`.execute(trx);
    await sql`
      insert into account_first_seen (project_id, account_id, first_day)
      select e.project_id, e.account_id, min((e.timestamp at time zone 'UTC')::date) from events e
      where ${only} and e.account_id is not null group by e.project_id, e.account_id`.execute(trx);
    await sql`
      insert into nps_responses (project_id, message_id, user_id, anonymous_id, account_id, timestamp, score)
      select e.project_id, e.message_id, e.user_id, e.anonymous_id, e.account_id, e.timestamp, (e.properties->>'score')::int
      from events e
      where ${only} and e.type = 'track' and e.event = '$nps_response'
        and jsonb_typeof(e.properties->'score') = 'number' and (e.properties->>'score') ~ '^(10|[0-9])$'`.execute(trx);
  });
  markAllProjectsChanged();
}
