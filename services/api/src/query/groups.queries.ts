import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { daysBetween, windowOf } from '../domain/days.ts';
import { rankGroups, type GroupFigures } from '../domain/groups.ts';
import { accountMembersAsOf } from './activity-history.queries.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import type { FigureCache } from './figure-cache.ts';
import { groupFeatureCounts, groupNumbers, groupTotalsOfCounts, groupUsers, numberedMembers, type GroupFeatureCountRow, type GroupUsersRow } from '../figure-sql/groups.ts';
import { numberOf, type Numbering, type NumberedIds } from './id-numbers.ts';
import { activeDaysKept, keptActiveDays } from './metrics.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

/**
 * Rows `(user_id)` of the users active in the window as of its last day: from the kept active
 * days once filled (`keptActiveDays`), else from the per-day counts.
 */
async function activeInWindow(db: Kysely<Database>, projectId: string, window: { from: string; to: string }): Promise<RawBuilder<unknown>> {
  if (await activeDaysKept(db, projectId)) return sql`select d.user_id from (${await keptActiveDays(db, projectId, window, window.to)}) d`;
  return sql`select r.user_id from (${userRows(projectId, window, window.to)}) r where ${isActivity('r')}`;
}

/**
 * Each user's group as figure-sql/groups.ts reads them (columns `user_id`, `grp`): the users of
 * `numbered` and, project-wide, every other user seen by the day in the missing group (0).
 */
function membersOf(projectId: string, asOf: string, numbered: { ids: string[]; groups: number[] }, everyoneSeen: boolean): RawBuilder<unknown> {
  if (!everyoneSeen) return numberedMembers(numbered);
  return sql`
    select f.user_id, coalesce(k.grp, 0) as grp from user_first_seen f left join (${numberedMembers(numbered)}) k on k.user_id = f.user_id
    where f.project_id = ${projectId} and f.first_day <= ${asOf}::date`;
}

/** Numbers names in the order first seen: `indexOf(name)` its index in `names`. */
function nameNumbers() {
  const names: string[] = [];
  const numbers = new Map<string, number>();
  const indexOf = (name: string) => {
    let index = numbers.get(name);
    if (index === undefined) numbers.set(name, (index = names.push(name) - 1));
    return index;
  };
  return { names, indexOf };
}

/**
 * One day's capped counts of the scored events per user (figure-sql/figures.ts
 * `cappedDailyCounts`, links as of `asOf`): row i is user `users.numbers[i]`, event
 * `names[events[i]]`, count `capped[i]`.
 */
type DayCounts = { users: NumberedIds; names: string[]; events: Int32Array; capped: Int32Array };

/**
 * Every user's capped counts per day of the window, kept per day in the figure cache: new events
 * recompute only the days they fell on (a link or a join, every day).
 */
function windowDayCounts(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<DayCounts[]> {
  const window = windowOf(asOf, model.windowDays);
  return cache.days(projectId, `group-day-counts:${model.version}:${asOf}`, daysBetween(window.from, window.to), async (day): Promise<DayCounts> => {
    const result = await sql<{ user_id: string; event: string; capped: number }>`
      select c.user_id, c.event, c.capped::int as capped from (${cappedDailyCounts(model, userRows(projectId, { from: day, to: day }, asOf))}) c`.execute(db);
    const users = cache.numbering(projectId, 'users');
    const { names, indexOf } = nameNumbers();
    return {
      users: { numbering: users, numbers: Int32Array.from(result.rows, (row) => numberOf(users, row.user_id)) },
      names,
      events: Int32Array.from(result.rows, (row) => indexOf(row.event)),
      capped: Int32Array.from(result.rows, (row) => row.capped),
    };
  });
}

/**
 * `groupFeatureCounts`' rows project-wide, added up from the kept days (`windowDayCounts`): each
 * user in their group of `numbered`, everyone else in the missing group (0).
 */
async function projectGroupFeatureCounts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  asOf: string,
  numbered: { values: readonly unknown[]; ids: readonly string[]; groups: readonly number[] },
): Promise<GroupFeatureCountRow[]> {
  const parts = await windowDayCounts(db, cache, projectId, model, asOf);
  const groupOfId = new Map(numbered.ids.map((id, index) => [id, numbered.groups[index]!]));
  // Each numbering's numbers to groups, made once per numbering the parts hold.
  const groupsByNumbering = new Map<Numbering, Int32Array>();
  const groupsOf = (numbering: Numbering) => {
    let groups = groupsByNumbering.get(numbering);
    if (!groups) groupsByNumbering.set(numbering, (groups = Int32Array.from(numbering.ids, (id) => groupOfId.get(id) ?? 0)));
    return groups;
  };
  const events = nameNumbers();
  // Keyed event index × groups + group; counts are whole numbers, exact in a double.
  const groupCount = numbered.values.length;
  const counts = new Map<number, number>();
  for (const part of parts) {
    const groups = groupsOf(part.users.numbering);
    const eventOf = part.names.map(events.indexOf);
    for (let i = 0; i < part.capped.length; i++) {
      const key = eventOf[part.events[i]!]! * groupCount + groups[part.users.numbers[i]!]!;
      counts.set(key, (counts.get(key) ?? 0) + part.capped[i]!);
    }
    // Other requests go between the days: the whole sum takes the event loop for a second or more at 10 M events.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return [...counts].map(([key, count]) => ({ grp: key % groupCount, event: events.names[Math.floor(key / groupCount)]!, count }));
}

/**
 * Scores by group (domain/groups.ts `groupFigures`) as of a day under a model: the users of one
 * account (everyone with an event belonging to it, as `GET /v1/accounts/:id/users` lists them) with
 * their points in the account's events, or every user seen by the day with their own scores;
 * grouped by the user trait `trait` as of the day. Only the users' trait values and one row per
 * group and feature reach memory: an account's are added up in SQL (figure-sql/groups.ts
 * `groupUsers`, `groupFeatureCounts`); the project's counts from each day's capped counts, kept
 * per day (`windowDayCounts`), so a new event recomputes one day. Cached until the project stores
 * new events.
 *
 * @example
 * await scoresByGroup(db, cache, projectId, model, { trait: 'role', asOf: '2026-03-31', accountId: 'acme' })
 */
export function scoresByGroup(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  request: { trait: string; asOf: string; accountId?: string | undefined },
): Promise<GroupsAnswer> {
  const { trait, asOf, accountId } = request;
  return cache.get(projectId, `groups:${JSON.stringify([accountId ?? null, trait, model.version, asOf])}`, async () => {
    const window = windowOf(asOf, model.windowDays);
    const rows = accountId === undefined ? userRows(projectId, window, asOf) : accountRows(projectId, window, asOf, accountId);
    const [traits, accountMembers, active] = await Promise.all([
      traitsAsOf(db, projectId, 'users', [trait], asOf),
      accountId === undefined ? undefined : accountMembersAsOf(db, projectId, accountId, asOf),
      accountId === undefined ? activeInWindow(db, projectId, window) : sql`select r.user_id from (${rows}) r where ${isActivity('r')}`,
    ]);
    // Project-wide only the users with the trait are sent; everyone else seen is in the missing group.
    const numbered = groupNumbers(accountMembers === undefined ? [...traits].map(([userId, values]) => [userId, values[trait]] as const) : accountMembers.map((userId) => [userId, traits.get(userId)?.[trait]] as const));
    const members = membersOf(projectId, asOf, numbered, accountMembers === undefined);
    const [users, counts] = await Promise.all([
      sql<GroupUsersRow>`${groupUsers(members, active)}`.execute(db),
      accountId === undefined
        ? projectGroupFeatureCounts(db, cache, projectId, model, asOf, numbered)
        : // Without parallel workers: their partial sums per user, day and feature hardly merge
          // anything, so gathering and summing them again took longer than one pass (measured
          // 1.5–2× slower on the bench databases of 1 M and 10 M events).
          db.transaction().execute(async (trx) => {
            await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
            return (await sql<GroupFeatureCountRow>`${groupFeatureCounts(model, members, rows)}`.execute(trx)).rows;
          }),
    ]);
    return { window, groups: rankGroups(groupTotalsOfCounts(model, numbered.values, users.rows, counts)) };
  }, asOf);
}
