import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays } from '../domain/days.ts';
import { endOfDay } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';

/**
 * The named traits of every user (identify calls, anonymous ones through their identity links) or
 * account (group calls) as of the end of a day: per id and name, the value of the latest call by
 * then that set it (call order: timestamp, receive time, messageId), as a fold of the calls would
 * give. Computed in SQL, so only one value per id and name reaches memory, never the calls; the
 * identify and group events are kept apart from the track and page volume by partial indexes.
 *
 * `accountIds`: of these accounts only (by index), for accounts; some users' are `userTraitsByDay`'s.
 *
 * @example
 * (await traitsAsOf(db, projectId, 'accounts', ['plan'], '2026-03-31')).get('acme') // { plan: 'growth' }
 */
export async function traitsAsOf(db: Kysely<Database>, projectId: string, of: 'users' | 'accounts', names: readonly string[], asOf: string, accountIds?: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
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
          where e.project_id = ${projectId} and e.type = 'group' and e.timestamp < ${endOfDay(asOf)} and e.properties ?| ${keys}::text[]
            ${accountIds === undefined ? sql`` : sql`and e.account_id = any(${accountIds}::text[])`}`;
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

/**
 * `traitsAsOf` of some users on each of `days` (sorted or not), from one read of those users'
 * identify calls (their own, and anonymous ones through their identity links) that set one of
 * the traits: the calls come ordered as `traitsAsOf` orders them (latest first, in SQL), and each
 * day takes the first call per id and name that had happened by its end with the link made by
 * then. What a series of one account's days needs, without every user's calls each day.
 *
 * @example
 * (await userTraitsByDay(db, projectId, ['isChampion'], ['2026-03-30', '2026-03-31'], ['u1'])).get('2026-03-31')?.get('u1') // { isChampion: true }
 */
export async function userTraitsByDay(
  db: Kysely<Database>,
  projectId: string,
  names: readonly string[],
  days: readonly string[],
  userIds: readonly string[],
): Promise<Map<string, Map<string, Record<string, unknown>>>> {
  const answer = new Map(days.map((day) => [day, new Map<string, Record<string, unknown>>()]));
  if (names.length === 0 || days.length === 0 || userIds.length === 0) return answer;
  const keys = [...new Set(names)];
  const last = [...days].sort().at(-1)!;
  const ids = [...new Set(userIds)];
  // Both halves read by user (events_identify_by_user holds the calls without a user too).
  const result = await sql<{ id: string; name: string; value: unknown; day: string; link_day: string | null }>`
    select c.id, k.name, c.properties -> k.name as value, (c.timestamp at time zone 'UTC')::date::text as day, c.link_day::text as link_day
    from (
      select e.user_id as id, e.properties, e.timestamp, e.received_at, e.message_id, null::date as link_day
      from events e
      where e.project_id = ${projectId} and e.type = 'identify' and e.user_id = any(${ids}::text[]) and e.timestamp < ${endOfDay(last)} and e.properties ?| ${keys}::text[]
      union all
      select l.user_id, e.properties, e.timestamp, e.received_at, e.message_id, l.link_day
      from events e
      join identity_links l on l.project_id = e.project_id and l.anonymous_id = e.anonymous_id and l.user_id = any(${ids}::text[]) and l.link_day <= ${last}::date
      where e.project_id = ${projectId} and e.type = 'identify' and e.user_id is null and e.timestamp < ${endOfDay(last)} and e.properties ?| ${keys}::text[]
    ) c cross join unnest(${keys}::text[]) as k(name)
    where c.properties ? k.name
    order by c.id, k.name, c.timestamp desc, c.received_at desc, c.message_id desc`.execute(db);
  for (const [day, byId] of answer) {
    let previous = '';
    for (const row of result.rows) {
      const key = `${row.id}\u0000${row.name}`;
      // The first call of each id and name by the day's end (links too) is its value then.
      if (key === previous || row.day > day || (row.link_day !== null && row.link_day > day)) continue;
      previous = key;
      const own = byId.get(row.id);
      if (own) Object.defineProperty(own, row.name, { value: row.value, enumerable: true, writable: true, configurable: true });
      else byId.set(row.id, Object.fromEntries([[row.name, row.value]]));
    }
  }
  return answer;
}

/**
 * `traitsAsOf`, cached and brought up to date from the days new events fell on: a call changes
 * only its own id's traits, so the ids with a call on a changed day (to `asOf`) that set one of
 * the names are read again, by index, and everyone else's are kept (a late call of a day long
 * past reads that day's callers, not every call since). Links and deletions name
 * every day: read afresh. After an event of today: that day's calls, not every user's (the
 * segment facts and the project's groups read 50 k users' traits on each refresh at 10 M events).
 *
 * @example
 * (await keptTraitsAsOf(db, cache, projectId, 'users', ['role'], '2026-03-31')).get('u1') // { role: 'admin' }
 */
export async function keptTraitsAsOf(db: Kysely<Database>, cache: FigureCache, projectId: string, of: 'users' | 'accounts', names: readonly string[], asOf: string): Promise<Map<string, Record<string, unknown>>> {
  const keys = [...new Set(names)].sort();
  return cache.incremental<Map<string, Record<string, unknown>>>(
    projectId,
    `traits:${of}:${JSON.stringify(keys)}:${asOf}`,
    async (since) => {
      if (since === undefined || keys.length === 0) return traitsAsOf(db, projectId, of, keys, asOf);
      const days = since.changedDays.filter((day) => day <= asOf);
      if (days.length === 0) return since.value;
      const ids = await callersOn(db, projectId, of, keys, days, asOf);
      if (ids.length === 0) return since.value;
      const fresh = of === 'users' ? (await userTraitsByDay(db, projectId, keys, [asOf], ids)).get(asOf)! : await traitsAsOf(db, projectId, of, keys, asOf, ids);
      const traits = new Map(since.value);
      for (const id of ids) {
        const own = fresh.get(id);
        if (own) traits.set(id, own);
        else traits.delete(id);
      }
      return traits;
    },
    asOf,
    () => true,
  );
}

/** The ids with an identify (users: their own, or an anonymousId's linked by `asOf`) or group call (accounts) on one of `days` (none after `asOf`) that set one of `keys`: a range of events_trait_calls. */
async function callersOn(db: Kysely<Database>, projectId: string, of: 'users' | 'accounts', keys: readonly string[], days: readonly string[], asOf: string): Promise<string[]> {
  const first = days.reduce((a, b) => (a < b ? a : b));
  const inRange = sql`e.project_id = ${projectId} and e.timestamp >= ${endOfDay(addDays(first, -1))} and e.timestamp < ${endOfDay(asOf)}
    and (e.timestamp at time zone 'UTC')::date = any(${days}::date[]) and e.properties ?| ${keys}::text[]`;
  const result = await sql<{ id: string }>`${
    of === 'users'
      ? sql`
          select distinct coalesce(e.user_id, l.user_id) as id from events e
          left join identity_links l on e.user_id is null and l.project_id = e.project_id and l.anonymous_id = e.anonymous_id and l.link_day <= ${asOf}::date
          where e.type = 'identify' and ${inRange} and coalesce(e.user_id, l.user_id) is not null`
      : sql`select distinct e.account_id as id from events e where e.type = 'group' and ${inRange} and e.account_id is not null`
  }`.execute(db);
  return result.rows.map((row) => row.id);
}
