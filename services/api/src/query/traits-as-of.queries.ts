import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { endOfDay } from '../figure-sql/activity-rows.ts';

/**
 * The named traits of every user (identify calls, anonymous ones through their identity links) or
 * account (group calls) as of the end of a day: per id and name, the value of the latest call by
 * then that set it (call order: timestamp, receive time, messageId), as a fold of the calls would
 * give. Computed in SQL, so only one value per id and name reaches memory, never the calls; the
 * identify and group events are kept apart from the track and page volume by partial indexes.
 *
 * @example
 * (await traitsAsOf(db, projectId, 'accounts', ['plan'], '2026-03-31')).get('acme') // { plan: 'growth' }
 */
export async function traitsAsOf(db: Kysely<Database>, projectId: string, of: 'users' | 'accounts', names: readonly string[], asOf: string): Promise<Map<string, Record<string, unknown>>> {
  const byId = new Map<string, Array<[string, unknown]>>();
  if (names.length === 0) return new Map();
  const keys = [...new Set(names)];
  const calls =
    of === 'users'
      ? sql`
          select coalesce(e.user_id, l.user_id) as id, e.properties, e.timestamp, e.received_at, e.message_id
          from events e
          left join identity_links l on e.user_id is null and l.project_id = e.project_id and l.anonymous_id = e.anonymous_id and l.link_day <= ${asOf}::date
          where e.project_id = ${projectId} and e.type = 'identify' and e.timestamp < ${endOfDay(asOf)} and e.properties ?| ${keys}::text[]`
      : sql`
          select e.account_id as id, e.properties, e.timestamp, e.received_at, e.message_id
          from events e
          where e.project_id = ${projectId} and e.type = 'group' and e.timestamp < ${endOfDay(asOf)} and e.properties ?| ${keys}::text[]`;
  const result = await sql<{ id: string; name: string; value: unknown }>`
    select distinct on (c.id, k.name) c.id, k.name, c.properties -> k.name as value
    from (${calls}) c cross join unnest(${keys}::text[]) as k(name)
    where c.id is not null and c.properties ? k.name
    order by c.id, k.name, c.timestamp desc, c.received_at desc, c.message_id desc`.execute(db);
  for (const row of result.rows) {
    const entries = byId.get(row.id);
    if (entries) entries.push([row.name, row.value]);
    else byId.set(row.id, [[row.name, row.value]]);
  }
  // fromEntries defines own properties, so a trait named __proto__ stays a trait.
  return new Map([...byId].map(([id, entries]) => [id, Object.fromEntries(entries)]));
}
