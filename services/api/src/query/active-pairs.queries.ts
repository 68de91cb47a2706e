import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, daysBetween, windowOf } from '../domain/days.ts';
import { accountActivitySummary, activityDays, type AccountActivitySummary, type ActivePairs } from '../domain/segments/account-activity.ts';
import { accountActivityCounts, weeksOfMask } from '../figure-sql/account-activity.ts';
import { accountRows, endOfDay, isActivity, membersKeptDiffer } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { inOneNumbering, numberOf, type NumberedIds } from './id-numbers.ts';
import { activeDaysKept } from './metrics.queries.ts';

/** One day's distinct (account, user) pairs with activity in the account: element i of each. */
type NumberedPairs = { accounts: NumberedIds; users: NumberedIds };

/**
 * Per day (in the order of `days`), the distinct (account, user) pairs with activity in the
 * account that day, with links and joins as of `asOf`, as numbers. Kept per day, so new events
 * recompute only the days they fell on.
 */
function pairsByDay(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, days: string[]): Promise<NumberedPairs[]> {
  return cache.days(projectId, `segment-active-pairs:${asOf}`, days, async (day): Promise<NumberedPairs> => {
    const result = await sql<{ account_id: string; user_id: string }>`
      select distinct r.account_id, r.user_id from (${accountRows(projectId, { from: day, to: day }, asOf)}) r where ${isActivity('r')}`.execute(db);
    const accounts = cache.numbering(projectId, 'accounts');
    const users = cache.numbering(projectId, 'users');
    return {
      accounts: { numbering: accounts, numbers: Int32Array.from(result.rows, (row) => numberOf(accounts, row.account_id)) },
      users: { numbering: users, numbers: Int32Array.from(result.rows, (row) => numberOf(users, row.user_id)) },
    };
  });
}

/**
 * The kept pairs of `window` (derived/active-days.ts: links and memberships as they are now, the
 * days folded so far; columns account_id, user_id, day) with the users whose kept pairs may differ
 * from their rows as of `asOf` (`membersKeptDiffer`) left out and their pairs as of `asOf` read
 * from the rows instead, in one statement (one snapshot).
 */
function keptPairs(projectId: string, window: { from: string; to: string }, asOf: string): RawBuilder<unknown> {
  return sql`
    with changed as (${membersKeptDiffer(projectId, asOf)})
    select account_id, user_id, day from account_active_days
    where project_id = ${projectId} and day between ${window.from}::date and ${window.to}::date and user_id not in (select user_id from changed)
    union all
    select distinct r.account_id, r.user_id, r.day from (${accountRows(projectId, window, asOf, undefined, sql`select user_id from changed`)}) r where ${isActivity('r')}`;
}

type ActivityRow = { account_id: string; recent: number; earlier: number; weeks: number; active_users: number };
type PastActivityRow = Omit<ActivityRow, 'active_users'> & { active_ids: string[] };

/**
 * `accountActivityCounts` of the kept pairs as of `asOf` (blocks counted back from it), made of two
 * parts: the days before `asOf`, kept as a figure of the day before (today's events leave it as it
 * was), and the pairs of `asOf` itself, read on each computation and added in (a pair active that
 * day adds one active day to `recent` and block 0, and is an active user unless it already was).
 * So a new event of today reads one day of pairs, not the whole window again.
 */
async function accountActivityAsOf(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, t: SegmentThresholds): Promise<ActivityRow[]> {
  const blocks = { period: t.usageDropPeriodDays, weeks: t.weeklyActiveWeeks };
  const dayBefore = addDays(asOf, -1);
  const [past, today] = await Promise.all([
    cache.get(
      projectId,
      `account-activity-past:${JSON.stringify([asOf, blocks])}`,
      async () => (await sql<PastActivityRow>`${accountActivityCounts(keptPairs(projectId, { from: windowOf(asOf, activityDays(t)).from, to: dayBefore }, asOf), asOf, blocks, windowOf(asOf, 30), true)}`.execute(db)).rows,
      dayBefore,
    ),
    sql<{ account_id: string; user_id: string }>`select distinct p.account_id, p.user_id from (${keptPairs(projectId, { from: asOf, to: asOf }, asOf)}) p`.execute(db),
  ]);
  const todayUsers = new Map<string, string[]>();
  for (const { account_id, user_id } of today.rows) {
    const users = todayUsers.get(account_id);
    if (users) users.push(user_id);
    else todayUsers.set(account_id, [user_id]);
  }
  const rows: ActivityRow[] = past.map(({ active_ids, ...row }) => {
    const users = todayUsers.get(row.account_id);
    todayUsers.delete(row.account_id);
    if (users === undefined) return { ...row, active_users: active_ids.length };
    const wasActive = new Set(active_ids);
    return { ...row, recent: row.recent + users.length, weeks: row.weeks | (blocks.weeks > 0 ? 1 : 0), active_users: active_ids.length + users.filter((id) => !wasActive.has(id)).length };
  });
  for (const [account_id, users] of todayUsers) rows.push({ account_id, recent: users.length, earlier: 0, weeks: blocks.weeks > 0 ? 1 : 0, active_users: users.length });
  return rows;
}

/**
 * The distinct (account, user) pairs with activity in the account on each day of `window`, with
 * identity links and memberships as of the end of `asOf`, from each day's rows (cached per day).
 */
async function activePairs(db: Kysely<Database>, cache: FigureCache, projectId: string, { window, asOf }: { window: { from: string; to: string }; asOf: string }): Promise<ActivePairs> {
  const days = daysBetween(window.from, window.to);
  const parts = await pairsByDay(db, cache, projectId, asOf, days);
  const accounts = inOneNumbering(parts.map((part) => part.accounts));
  const users = inOneNumbering(parts.map((part) => part.users));
  return { accountIds: accounts.ids, userIds: users.ids, days: days.map((day, index) => ({ day, accounts: accounts.numbers[index]!, users: users.numbers[index]! })) };
}

/**
 * What the accounts' active pairs add up to as of a day (domain/segments/account-activity.ts
 * `accountActivitySummary`): added up in SQL from the kept account activity once the project's is
 * filled (figure-sql/account-activity.ts; the days before `asOf` and the 30 days to 30 days before
 * kept as figures their days' events alone change), else from each day's pairs (cached per day).
 *
 * @example
 * const activity = await accountActivity(db, cache, projectId, '2026-03-31', thresholds);
 * activity.activeNow.get('acme'); // distinct users active in acme in the 30 days to 2026-03-31
 */
export async function accountActivity(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, t: SegmentThresholds): Promise<AccountActivitySummary> {
  const before = addDays(asOf, -30);
  if (await activeDaysKept(db, projectId)) {
    const [now, then] = await Promise.all([
      accountActivityAsOf(db, cache, projectId, asOf, t),
      // Kept as a figure as of its own day: new events of the last 30 days leave it as it was.
      cache.get(projectId, `account-activity-before:${before}`, async () => (await sql<ActivityRow>`${accountActivityCounts(keptPairs(projectId, windowOf(before, 30), before), before, { period: 30, weeks: 0 }, windowOf(before, 30))}`.execute(db)).rows, before),
    ]);
    const users = (rows: ActivityRow[]) => new Map(rows.filter((row) => row.active_users > 0).map((row) => [row.account_id, row.active_users]));
    return {
      activity: new Map(now.map((row) => [row.account_id, { recent: row.recent, earlier: row.earlier, weeks: weeksOfMask(row.weeks) }])),
      activeNow: users(now),
      activeBefore: users(then),
    };
  }
  const [pairsNow, pairsBefore] = await Promise.all([
    activePairs(db, cache, projectId, { window: windowOf(asOf, activityDays(t)), asOf }),
    // The days before keep their own parts only where a link or join since changed who they belong to.
    sameAttribution(db, projectId, before, asOf).then((same) => activePairs(db, cache, projectId, { window: windowOf(before, 30), asOf: same ? asOf : before })),
  ]);
  return accountActivitySummary({ asOf: pairsNow, before: pairsBefore }, asOf, t);
}

/**
 * Whether events up to `earlier` belong to the same users and accounts as of `earlier` as as of
 * `later`: no identity link or membership starts in between. Then figures as of `earlier` can
 * reuse the day parts kept as of `later`.
 */
async function sameAttribution(db: Kysely<Database>, projectId: string, earlier: string, later: string): Promise<boolean> {
  const result = await sql<{ changed: boolean }>`
    select exists (select 1 from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(earlier)} and joined_at < ${endOfDay(later)})
        or exists (select 1 from identity_links where project_id = ${projectId} and link_day > ${earlier}::date and link_day <= ${later}::date) as changed`.execute(db);
  return result.rows[0]?.changed === false;
}
