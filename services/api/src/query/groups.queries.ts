import { sql, type Kysely } from 'kysely';
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
import { keptTraitsAsOf, userTraitsByDay } from './traits-as-of.queries.ts';
import { userScoreTable } from './scores.queries.ts';
import { windowFigure } from './window-split.ts';

export type GroupsAnswer = { window: { from: string; to: string }; groups: GroupFigures[] };

/**
 * The users active over `days` as of `asOf`: from the kept active days once filled
 * (`keptActiveDays`), else from the per-day counts.
 */
async function activeUsersOver(db: Kysely<Database>, projectId: string, days: { from: string; to: string }, asOf: string): Promise<Set<string>> {
  const active = (await activeDaysKept(db, projectId))
    ? sql<{ user_id: string }>`select distinct d.user_id from (${await keptActiveDays(db, projectId, days, asOf)}) d`
    : sql<{ user_id: string }>`select distinct r.user_id from (${userRows(projectId, days, asOf)}) r where ${isActivity('r')}`;
  return new Set((await active.execute(db)).rows.map((row) => row.user_id));
}

/** The most event × group slots `projectGroupFeatureCounts` sums in an array (8 MB) rather than a Map. */
const DENSE_GROUP_SLOTS = 2 ** 20;

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
export type DayCounts = { users: NumberedIds; names: string[]; events: Int32Array; capped: Int32Array };

/**
 * Every user's capped counts per day of `days` (links as of `asOf`), kept per day in the figure
 * cache: new events recompute only the days they fell on (a link or a join, every day). A day's
 * counts arrive as one row per event with its users and counts as JSON arrays: one row per user
 * and event (87 k a day at 10 M events) took most of a cold computation to parse and collect.
 */
function dayCountsOf(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string, days: { from: string; to: string }): Promise<DayCounts[]> {
  return cache.days(projectId, `group-day-counts:${model.version}:${asOf}`, daysBetween(days.from, days.to), async (day): Promise<DayCounts> => {
    const result = await sql<{ event: string; users: string[]; capped: number[] }>`
      select c.event, json_agg(c.user_id order by c.user_id) as users, json_agg(c.capped::int order by c.user_id) as capped
      from (${cappedDailyCounts(model, userRows(projectId, { from: day, to: day }, asOf))}) c group by c.event`.execute(db);
    const users = cache.numbering(projectId, 'users');
    const size = result.rows.reduce((total, row) => total + row.users.length, 0);
    const counts: DayCounts = { users: { numbering: users, numbers: new Int32Array(size) }, names: [], events: new Int32Array(size), capped: new Int32Array(size) };
    let i = 0;
    for (const row of result.rows) {
      const event = counts.names.push(row.event) - 1;
      for (const [index, userId] of row.users.entries()) {
        counts.users.numbers[i] = numberOf(users, userId);
        counts.events[i] = event;
        counts.capped[i++] = row.capped[index]!;
      }
    }
    return counts;
  });
}

/** What the project's groups read of some days: every user's capped counts per feature of each day, and who was active. */
type ProjectDays = { counts: readonly DayCounts[]; active: ReadonlySet<string> };
const NO_DAYS: ProjectDays = { counts: [], active: new Set() };

/**
 * `groupFeatureCounts`' rows project-wide, added up from the window's days' counts (`parts`):
 * each user in their group (`groupOfId`), everyone else in the missing group (0). Summed per
 * group and feature straight from the days (2.6 M rows at 10 M events), not per user first:
 * that sum took seconds, and memory for every trait asked. `denseSlots`: see DENSE_GROUP_SLOTS.
 */
export function projectGroupFeatureCounts(parts: readonly DayCounts[], groupOfId: ReadonlyMap<string, number>, groupCount: number, denseSlots = DENSE_GROUP_SLOTS): GroupFeatureCountRow[] {
  // Each numbering's numbers to groups, made once per numbering the parts hold.
  const groupsByNumbering = new Map<Numbering, Int32Array>();
  const groupsOf = (numbering: Numbering) => {
    let groups = groupsByNumbering.get(numbering);
    if (!groups) groupsByNumbering.set(numbering, (groups = Int32Array.from(numbering.ids, (id) => groupOfId.get(id) ?? 0)));
    return groups;
  };
  const events = nameNumbers();
  const eventsOf = parts.map((part) => part.names.map(events.indexOf));
  // Keyed event index × groups + group; counts are whole numbers, exact in a double. A slot per
  // key while there are few (a Map's get and set for each of 2.6 M rows at 10 M events took most
  // of a refresh of the groups); a Map of the keys met when a trait has a value per user.
  const slots = events.names.length * groupCount;
  const dense = slots <= denseSlots ? new Float64Array(slots) : undefined;
  const counts = new Map<number, number>();
  for (const [index, part] of parts.entries()) {
    const groups = groupsOf(part.users.numbering);
    const eventOf = eventsOf[index]!;
    for (let i = 0; i < part.capped.length; i++) {
      const key = eventOf[part.events[i]!]! * groupCount + groups[part.users.numbers[i]!]!;
      if (dense) dense[key]! += part.capped[i]!;
      else counts.set(key, (counts.get(key) ?? 0) + part.capped[i]!);
    }
  }
  // The slots above 0: a key summing to 0 adds no points to its group (groupTotalsOfCounts skips it).
  if (dense) for (const [key, count] of dense.entries()) if (count > 0) counts.set(key, count);
  return [...counts].map(([key, count]) => ({ grp: key % groupCount, event: events.names[Math.floor(key / groupCount)]!, count }));
}

/**
 * Scores by group (domain/groups.ts `groupFigures`) as of a day under a model: the users of one
 * account (everyone with an event belonging to it, as `GET /v1/accounts/:id/users` lists them) with
 * their points in the account's events, or every user seen by the day with their own scores;
 * grouped by the user trait `trait` as of the day. An account's are added up in SQL
 * (figure-sql/groups.ts `groupUsers`, `groupFeatureCounts`): only its users' trait values and one
 * row per group and feature reach memory. The project's come from each user's capped counts per
 * feature (kept per day) and the active users, both over the days before `asOf` kept inside the
 * cached figure (query/window-split.ts), so an event of `asOf` reads one day and adds it to them.
 * Cached until the project stores new events.
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
  const key = `groups:${JSON.stringify([accountId ?? null, trait, model.version, asOf])}`;
  if (accountId !== undefined) return cache.get(projectId, key, () => accountGroups(db, projectId, model, trait, asOf, accountId), asOf);
  return windowFigure(
    cache,
    projectId,
    key,
    windowOf(asOf, model.windowDays),
    async (days): Promise<ProjectDays> => {
      const [counts, active] = await Promise.all([dayCountsOf(db, cache, projectId, model, asOf, days), activeUsersOver(db, projectId, days, asOf)]);
      return { counts, active };
    },
    NO_DAYS,
    (before, last) => projectGroups(db, cache, projectId, model, trait, asOf, [before, last]),
  );
}

/** An account's groups as `scoresByGroup` answers them, added up in SQL. */
async function accountGroups(db: Kysely<Database>, projectId: string, model: ScoreModel, trait: string, asOf: string, accountId: string): Promise<GroupsAnswer> {
  const window = windowOf(asOf, model.windowDays);
  const rows = accountRows(projectId, window, asOf, accountId);
  // The members first, then their traits alone (by user), not every user's.
  const accountMembers = await accountMembersAsOf(db, projectId, accountId, asOf);
  const traits = (await userTraitsByDay(db, projectId, [trait], [asOf], accountMembers)).get(asOf)!;
  const numbered = groupNumbers(accountMembers.map((userId) => [userId, traits.get(userId)?.[trait]] as const));
  const members = numberedMembers(numbered);
  const [users, counts] = await Promise.all([
    sql<GroupUsersRow>`${groupUsers(members, sql`select r.user_id from (${rows}) r where ${isActivity('r')}`)}`.execute(db),
    // Without parallel workers: their partial sums per user, day and feature hardly merge
    // anything, so gathering and summing them again took longer than one pass (measured
    // 1.5–2× slower on the bench databases of 1 M and 10 M events).
    db.transaction().execute(async (trx) => {
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
      return (await sql<GroupFeatureCountRow>`${groupFeatureCounts(model, members, rows)}`.execute(trx)).rows;
    }),
  ]);
  return { window, groups: rankGroups(groupTotalsOfCounts(model, numbered.values, users.rows, counts)) };
}

/**
 * The project's groups as `scoresByGroup` answers them, from the window's days (`parts`): every
 * user seen by the day in their group (those without the trait in the missing group, 0), counted
 * with the active ones in memory, and the features' counts added up per group.
 */
async function projectGroups(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, trait: string, asOf: string, parts: readonly ProjectDays[]): Promise<GroupsAnswer> {
  // Both kept current in the cache by other readers too: no 50 k-row reads on each refresh.
  const [traits, scores] = await Promise.all([keptTraitsAsOf(db, cache, projectId, 'users', [trait], asOf), userScoreTable(db, cache, projectId, model, asOf)]);
  const numbered = groupNumbers([...traits].map(([userId, values]) => [userId, values[trait]] as const));
  const groupOfId = new Map(numbered.ids.map((id, index) => [id, numbered.groups[index]!]));
  const users = new Map<number, GroupUsersRow>();
  // The score table holds everyone seen by the day (user_first_seen).
  for (const userId of scores.byId.keys()) {
    const grp = groupOfId.get(userId) ?? 0;
    let row = users.get(grp);
    if (!row) users.set(grp, (row = { grp, users: 0, active_users: 0 }));
    row.users++;
    if (parts.some((part) => part.active.has(userId))) row.active_users++;
  }
  const counts = projectGroupFeatureCounts(parts.flatMap((part) => part.counts), groupOfId, numbered.values.length);
  return { window: windowOf(asOf, model.windowDays), groups: rankGroups(groupTotalsOfCounts(model, numbered.values, [...users.values()], counts)) };
}
