import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { seatsOf } from '../domain/seats.ts';
import { announceChanges } from './change-feed.ts';
import type { ChangeTracker } from './change-tracker.ts';
import { rebuildActiveDays } from './active-days.ts';
import { rebuildScorePoints } from './score-points.ts';

const DERIVED_TABLES = [
  'user_day_events', 'anonymous_day_events', 'event_spans', 'nps_responses', 'user_first_seen', 'account_first_seen', 'identity_links', 'account_seats',
  'anonymous_memberships', 'memberships', 'verified_memberships',
] as const;

/**
 * The derived tables holding one row per day (or per event) that a rebuild cannot make again for
 * the days whose raw events expired, with the SQL of a row's UTC day.
 */
const KEPT_BEFORE_EXPIRY = {
  user_day_events: 'd.day',
  anonymous_day_events: 'd.day',
  nps_responses: "(d.timestamp at time zone 'UTC')::date",
} as const;

/**
 * Recomputes every derived table from the stored events (all projects, or one), memberships
 * included: the answers afterwards equal those kept up to date by ingestion. Each project is
 * rebuilt in a transaction of its own, every statement filtered on its project_id, so on Citus
 * each runs inside the project's shard (docs/scale-out.md); every project is one project after
 * the other.
 * A project whose raw events expired (docs/privacy.md, "Retention") keeps its per-day rows
 * (per-day counts, NPS answers) of the days before `events_expired_before`, which no raw event
 * can give back; only the days from it on are recomputed, and everything made from the per-day
 * rows (spans, first-seen days) is made from the kept and the recomputed ones together.
 * The kept score points of every kept model version are made again from the per-day counts.
 * The figures `changeTracker` versions are then stale (and those of the running servers sharing
 * the database, told through the change feed).
 *
 * @example
 * await rebuildDerivedTables(db, changeTracker);              // everything
 * await rebuildDerivedTables(db, changeTracker, 'prj_123');   // one project
 */
export async function rebuildDerivedTables(db: Kysely<Database>, changeTracker: ChangeTracker, projectId?: string): Promise<void> {
  if (projectId !== undefined) return rebuildProject(db, changeTracker, projectId);
  const projects = await db.selectFrom('projects').select('project_id').orderBy('project_id').execute();
  for (const project of projects) await rebuildProject(db, changeTracker, project.project_id);
}

async function rebuildProject(db: Kysely<Database>, changeTracker: ChangeTracker, projectId: string): Promise<void> {
  const only = sql`e.project_id = ${projectId}`;
  await db.transaction().execute(async (trx) => {
    const ofProject = sql`project_id = ${projectId}`;
    const ofRow = sql`d.project_id = ${projectId}`;
    // Read once and passed as a value: joined to the projects table (a reference table on Citus),
    // the INSERT … SELECTs below would run on every shard instead of the project's.
    const project = await trx.selectFrom('projects').select(sql<string | null>`events_expired_before::text`.as('expired_before')).where('project_id', '=', projectId).executeTakeFirst();
    const expiredBefore = sql`${project?.expired_before ?? null}::date`;
    for (const table of DERIVED_TABLES) {
      if (table in KEPT_BEFORE_EXPIRY) {
        const day = sql.raw(KEPT_BEFORE_EXPIRY[table as keyof typeof KEPT_BEFORE_EXPIRY]);
        await sql`delete from ${sql.table(table)} d where ${ofRow} and (${expiredBefore} is null or ${day} >= ${expiredBefore})`.execute(trx);
      } else await sql`delete from ${sql.table(table)} where ${ofProject}`.execute(trx);
    }
    // Per-day rows come from the days whose raw events are all kept; the days before were kept above.
    const keyed = sql`
      select e.project_id, e.user_id, e.anonymous_id, coalesce(e.account_id, '') as account_key,
             (e.timestamp at time zone 'UTC')::date as day,
             case e.type when 'track' then e.event when 'page' then '$page' else '$' || e.type end as event
      from events e
      where ${only} and (e.timestamp at time zone 'UTC')::date >= coalesce(${expiredBefore}, '-infinity'::date)`;
    // Written in day order, as ingestion writes them (each day's rows as its events arrive): a
    // figure reads one day's rows of every user, and rows of one day on a few pages read several
    // times faster than rows strewn over the table (docs/benchmarks.md, "Per-day rows in day order").
    await sql`
      insert into user_day_events (project_id, user_id, account_key, day, event, count)
      select project_id, user_id, account_key, day, event, count(*)::int from (${keyed}) r
      where user_id is not null group by project_id, user_id, account_key, day, event order by day`.execute(trx);
    await sql`
      insert into anonymous_day_events (project_id, anonymous_id, account_key, day, event, count)
      select project_id, anonymous_id, account_key, day, event, count(*)::int from (${keyed}) r
      where user_id is null and anonymous_id is not null group by project_id, anonymous_id, account_key, day, event order by day`.execute(trx);
    await sql`
      insert into event_spans (project_id, anonymous, subject_id, account_key, event, first_day, last_day)
      select project_id, false, user_id, account_key, event, min(day), max(day) from user_day_events
      where project_id = ${projectId} group by project_id, user_id, account_key, event
      union all
      select project_id, true, anonymous_id, account_key, event, min(day), max(day) from anonymous_day_events
      where project_id = ${projectId} group by project_id, anonymous_id, account_key, event`.execute(trx);
    await sql`
      insert into identity_links (project_id, anonymous_id, user_id, link_day)
      select i.project_id, i.anonymous_id, i.user_id, min((e.timestamp at time zone 'UTC')::date)
      from identities i
      join events e on e.project_id = i.project_id and e.type = 'identify' and e.anonymous_id = i.anonymous_id and e.user_id = i.user_id
      where i.project_id = ${projectId}
      group by i.project_id, i.anonymous_id, i.user_id`.execute(trx);
    // Memberships (as updateDerivedTables keeps them): a user's earliest own group call; an
    // anonymous-only group call joins the linked user from the later of the call and the link day.
    await sql`
      insert into anonymous_memberships (project_id, anonymous_id, account_id, joined_at)
      select e.project_id, e.anonymous_id, e.account_id, min(e.timestamp) from events e
      where ${only} and e.type = 'group' and e.user_id is null and e.anonymous_id is not null and e.account_id is not null
      group by e.project_id, e.anonymous_id, e.account_id`.execute(trx);
    await sql`
      insert into memberships (project_id, account_id, user_id, joined_at)
      select project_id, account_id, user_id, min(joined_at) from (
        select e.project_id, e.account_id, e.user_id, e.timestamp as joined_at from events e
        where ${only} and e.type = 'group' and e.user_id is not null and e.account_id is not null
        union all
        select m.project_id, m.account_id, l.user_id, greatest(m.joined_at, l.link_day::timestamp at time zone 'UTC')
        from anonymous_memberships m
        join identity_links l on l.project_id = m.project_id and l.anonymous_id = m.anonymous_id
        where m.project_id = ${projectId}
      ) joins
      group by project_id, account_id, user_id`.execute(trx);
    // Verified memberships (docs/widgets.md): group calls that carried the user's valid userHash.
    await sql`
      insert into verified_memberships (project_id, user_id, account_id, joined_at)
      select e.project_id, e.user_id, e.account_id, min(e.timestamp) from events e
      where ${only} and e.type = 'group' and e.user_verified and e.user_id is not null and e.account_id is not null
      group by e.project_id, e.user_id, e.account_id`.execute(trx);
    // Seats read by domain/seats.ts, as ingestion stores them: each distinct stored value is read
    // once here (there are few: seat counts), then joined back to its calls.
    const values = await sql<{ raw: string }>`
      select distinct (e.properties->'seats')::text as raw from events e
      where ${only} and e.type = 'group' and e.account_id is not null and e.properties ? 'seats'`.execute(trx);
    const raws = values.rows.map((row) => row.raw);
    const seats = raws.map((raw) => seatsOf({ seats: JSON.parse(raw) as unknown }));
    await sql`
      insert into account_seats (project_id, account_id, message_id, timestamp, seats)
      select e.project_id, e.account_id, e.message_id, e.timestamp, v.seats
      from events e
      join unnest(${raws}::text[], ${seats}::float8[]) as v(raw, seats) on (e.properties->'seats')::text = v.raw
      where ${only} and e.type = 'group' and e.account_id is not null and e.properties ? 'seats'`.execute(trx);
    await sql`
      insert into user_first_seen (project_id, user_id, first_day)
      select project_id, user_id, min(day) from user_day_events
      where project_id = ${projectId} group by project_id, user_id`.execute(trx);
    // An account's first day may be an expired one: its events are gone, its per-day rows kept.
    await sql`
      insert into account_first_seen (project_id, account_id, first_day)
      select project_id, account_id, min(day) from (
        select e.project_id, e.account_id, (e.timestamp at time zone 'UTC')::date as day from events e
        where ${only} and e.account_id is not null
        union all
        select d.project_id, d.account_key, min(d.day) from user_day_events d
        where ${ofRow} and d.account_key <> '' and d.day < ${expiredBefore} group by d.project_id, d.account_key
        union all
        select d.project_id, d.account_key, min(d.day) from anonymous_day_events d
        where ${ofRow} and d.account_key <> '' and d.day < ${expiredBefore} group by d.project_id, d.account_key
      ) days
      group by project_id, account_id`.execute(trx);
    await sql`
      insert into nps_responses (project_id, message_id, user_id, anonymous_id, account_id, timestamp, score)
      select e.project_id, e.message_id, e.user_id, e.anonymous_id, e.account_id, e.timestamp, (e.properties->>'score')::int
      from events e
      where ${only} and (e.timestamp at time zone 'UTC')::date >= coalesce(${expiredBefore}, '-infinity'::date)
        and e.type = 'track' and e.event = '$nps_response'
        and jsonb_typeof(e.properties->'score') = 'number' and (e.properties->>'score') ~ '^(10|[0-9])$'`.execute(trx);
    await rebuildKeptFigures(trx, projectId);
    // Running servers sharing the database recompute their figures from the rebuilt tables.
    await announceChanges(trx, changeTracker, [{ projectId }]);
  });
  changeTracker.markProjectChanged(projectId);
}

/**
 * Makes a project's kept figures (activity and score points) again from its per-day counts, its
 * queued days included: after `uptake rebuild` and after a bulk load (the demo), where it is much
 * cheaper than folding every queued day.
 */
export async function rebuildKeptFigures(trx: Transaction<Database>, projectId: string): Promise<void> {
  // The activity first: it takes the lock a fold takes first (active-days.ts).
  await rebuildActiveDays(trx, projectId);
  await rebuildScorePoints(trx, projectId);
}
