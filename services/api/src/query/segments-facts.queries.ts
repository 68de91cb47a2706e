import { sql, type Kysely } from 'kysely';
import type { ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, daysBetween, windowOf } from '../domain/days.ts';
import { isActivityEvent, isTrackEvent } from '../domain/activity.ts';
import { npsCategory, npsOf } from '../domain/nps.ts';
import { percentileOf } from '../domain/score.ts';
import type { FeatureCountRef, FeatureCounts } from '../domain/segments/custom-rule.ts';
import { featureCountKey } from '../domain/segments/custom-rule.ts';
import type { AccountFacts, SegmentFacts, UserFacts } from '../domain/segments/facts.ts';
import { utilisationChange, utilisationOf } from '../domain/utilisation.ts';
import { accountRows, endOfDay, isActivity, isTrackEventRow, userRows } from './activity-rows.queries.ts';
import type { FigureCache } from './figure-cache.ts';
import { latestNpsPerAccountUser, latestNpsPerUser, seatsAsOf } from './figure-sql.ts';
import { inOneNumbering, numberOf, type NumberedIds } from './id-numbers.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';

/** The first day any history query reaches back to. */
const EVER = '1970-01-01';

/** UTC day of an onboardedAt trait (ISO date or date-time); null when absent or not a date. */
export function traitDay(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)?$/.test(value)) return value.slice(0, 10);
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  // Years past 9999 or before 0 format as +010000-… / -000001-…, which do not sort as days.
  const day = new Date(time).toISOString().slice(0, 10);
  return /^\d{4}-/.test(day) ? day : null;
}

/** The traits the facts read: built-in segments (onboardedAt, trial, isChampion) and GET /v1/accounts (name, email). */
const USER_FACT_TRAITS = ['name', 'email', 'isChampion'];
const ACCOUNT_FACT_TRAITS = ['name', 'onboardedAt', 'trial'];

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

/** Seats of every account as of the end of a day (figure-sql.ts `seatsAsOf`). */
async function seatsOfAccounts(db: Kysely<Database>, projectId: string, asOf: string): Promise<Map<string, number | null>> {
  const result = await sql<{ account_id: string; seats: number | null }>`${seatsAsOf(projectId, asOf)}`.execute(db);
  return new Map(result.rows.map((row) => [row.account_id, row.seats]));
}

/** One day's distinct (account, user) pairs with activity in the account: element i of each. */
type ActivePairs = { accounts: NumberedIds; users: NumberedIds };

/**
 * Per day (in the order of `days`), the distinct (account, user) pairs with activity in the
 * account that day, with links and joins as of `asOf`, as numbers. Kept per day, so new events
 * recompute only the days they fell on.
 */
function activePairsByDay(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, days: string[]): Promise<ActivePairs[]> {
  return cache.days(projectId, `segment-active-pairs:${asOf}`, days, async (day): Promise<ActivePairs> => {
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

/** Distinct users per account over some days' active pairs. */
function activeUsersOf(parts: ActivePairs[]): Map<string, number> {
  const accounts = inOneNumbering(parts.map((part) => part.accounts));
  const users = inOneNumbering(parts.map((part) => part.users)).numbers;
  const usersOf = new Map<number, Set<number>>();
  accounts.numbers.forEach((accountNumbers, day) => {
    const userNumbers = users[day]!;
    for (let index = 0; index < accountNumbers.length; index++) {
      const account = accountNumbers[index]!;
      let seen = usersOf.get(account);
      if (!seen) usersOf.set(account, (seen = new Set()));
      seen.add(userNumbers[index]!);
    }
  });
  return new Map([...usersOf].map(([account, seen]) => [accounts.ids[account]!, seen.size]));
}

/** Users active in each account in the 30 days to `day`, with links and joins as of `asOf`. */
async function activeUsers30d(db: Kysely<Database>, cache: FigureCache, projectId: string, day: string, asOf: string): Promise<Map<string, number>> {
  const { from, to } = windowOf(day, 30);
  return activeUsersOf(await activePairsByDay(db, cache, projectId, asOf, daysBetween(from, to)));
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

type AccountActivity = { recent: number; earlier: number; weeks: Set<number> };

/**
 * Per account: active user-days in the `period` days to `asOf` and in the period before, and the
 * 7-day blocks back from `asOf` (0 = the last 7 days) with any activity, among the first `weeks`.
 */
async function accountActivity(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, period: number, weeks: number): Promise<Map<string, AccountActivity>> {
  const span = Math.max(2 * period, 7 * weeks);
  const { from, to } = windowOf(asOf, span);
  const accounts = inOneNumbering((await activePairsByDay(db, cache, projectId, asOf, daysBetween(from, to))).map((part) => part.accounts));
  const byNumber = new Map<number, AccountActivity>();
  accounts.numbers.forEach((numbers, index) => {
    const back = accounts.numbers.length - 1 - index; // asOf − day
    // One number per active (account, user) pair that day: one active user-day of the account.
    for (const account of numbers) {
      let activity = byNumber.get(account);
      if (!activity) byNumber.set(account, (activity = { recent: 0, earlier: 0, weeks: new Set() }));
      if (back < period) activity.recent++;
      else if (back < 2 * period) activity.earlier++;
      if (back < 7 * weeks) activity.weeks.add(Math.floor(back / 7));
    }
  });
  return new Map([...byNumber].map(([account, activity]) => [accounts.ids[account]!, activity]));
}

/** Latest NPS response per user among the responses in the window, as the project stood at the end of `asOf`. */
async function latestNpsByUser(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<Map<string, number>> {
  const result = await sql<{ user_id: string; score: number }>`${latestNpsPerUser(projectId, window, asOf)}`.execute(db);
  return new Map(result.rows.map((row) => [row.user_id, row.score]));
}

/**
 * Every account's NPS over the window (as `npsSummary` in nps.queries.ts for one account), in one
 * query: per account, the latest response of each user among the account's responses.
 */
async function npsByAccount(db: Kysely<Database>, projectId: string, window: { from: string; to: string }, asOf: string): Promise<Map<string, ReturnType<typeof npsOf>>> {
  const result = await sql<{ account_id: string; score: number }>`${latestNpsPerAccountUser(projectId, window, asOf)}`.execute(db);
  const scores = new Map<string, number[]>();
  for (const row of result.rows) {
    const list = scores.get(row.account_id);
    if (list) list.push(row.score);
    else scores.set(row.account_id, [row.score]);
  }
  return new Map([...scores].map(([accountId, list]) => [accountId, npsOf(list)]));
}

/**
 * event_spans as of the end of a day: rows `(user_id, account_key, event, first_day, last_day)`
 * of identified users and of the anonymousIds linked to them by then, with some event by then.
 * first_day is exact as of that day; last_day may lie after it.
 */
function spansAsOf(projectId: string, asOf: string) {
  return sql`
    select subject_id as user_id, account_key, event, first_day, last_day from event_spans
    where project_id = ${projectId} and not anonymous and first_day <= ${asOf}::date
    union all
    select l.user_id, a.account_key, a.event, a.first_day, a.last_day from event_spans a
    join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.subject_id and l.link_day <= ${asOf}::date
    where a.project_id = ${projectId} and a.anonymous and a.first_day <= ${asOf}::date`;
}

type UserHistory = { firstSeen: string; lastActive: string | null; accounts: Set<string>; featuresUsed: Set<string> };
type MemberHistory = { firstDay: string; lastActive: string | null };
/** Over the whole history to a day: per user, and per account and member (user with any event belonging to it). */
type History = { users: Map<string, UserHistory>; members: Map<string, Map<string, MemberHistory>> };

const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a > b ? a : b);

function addMember(history: History, accountId: string, userId: string, firstDay: string, lastActive: string | null) {
  let members = history.members.get(accountId);
  if (!members) history.members.set(accountId, (members = new Map()));
  const known = members.get(userId);
  if (!known) members.set(userId, { firstDay, lastActive });
  else {
    if (firstDay < known.firstDay) known.firstDay = firstDay;
    known.lastActive = later(known.lastActive, lastActive);
  }
}

function userOf(history: History, userId: string, firstDay: string): UserHistory {
  let user = history.users.get(userId);
  if (!user) history.users.set(userId, (user = { firstSeen: firstDay, lastActive: null, accounts: new Set(), featuresUsed: new Set() }));
  else if (firstDay < user.firstSeen) user.firstSeen = firstDay;
  return user;
}

/**
 * Users' and accounts' whole-history facts as of a day, from event_spans (per user and account,
 * one row of each event kind): exact unless some activity span starts by `asOf` and ends after
 * it (its last day by `asOf` unknown), then from every day of the activity rows.
 */
async function historyAsOf(db: Kysely<Database>, projectId: string, asOf: string): Promise<History> {
  const [spans, joined] = await Promise.all([
    sql<{ user_id: string; account_key: string; first_day: string; last_active: string | null; beyond: boolean | null; features: string[] | null }>`
      select s.user_id, s.account_key, min(s.first_day)::text as first_day,
        (max(s.last_day) filter (where ${isActivity('s')}))::text as last_active,
        bool_or(s.last_day > ${asOf}::date) filter (where ${isActivity('s')}) as beyond,
        array_agg(s.event) filter (where ${isTrackEventRow('s')}) as features
      from (${spansAsOf(projectId, asOf)}) s group by s.user_id, s.account_key`.execute(db),
    sql<{ account_id: string; user_id: string }>`
      select account_id, user_id from memberships where project_id = ${projectId} and joined_at < ${endOfDay(asOf)}`.execute(db),
  ]);
  if (spans.rows.some((row) => row.beyond === true)) return historyOfDays(db, projectId, asOf);
  const history: History = { users: new Map(), members: new Map() };
  const unnamed = new Map<string, MemberHistory>();
  for (const row of spans.rows) {
    const user = userOf(history, row.user_id, row.first_day);
    user.lastActive = later(user.lastActive, row.last_active);
    for (const event of row.features ?? []) user.featuresUsed.add(event);
    if (row.account_key === '') unnamed.set(row.user_id, { firstDay: row.first_day, lastActive: row.last_active });
    else {
      user.accounts.add(row.account_key);
      addMember(history, row.account_key, row.user_id, row.first_day, row.last_active);
    }
  }
  // Events naming no account belong to every account the user had joined by then.
  for (const { account_id, user_id } of joined.rows) {
    const own = unnamed.get(user_id);
    if (own) addMember(history, account_id, user_id, own.firstDay, own.lastActive);
  }
  return history;
}

/** historyAsOf from every day of the activity rows (any `asOf`). */
async function historyOfDays(db: Kysely<Database>, projectId: string, asOf: string): Promise<History> {
  const [users, members] = await Promise.all([
    // Per user, account and event: first and last day, over the whole history up to asOf.
    sql<{ user_id: string; account_key: string; event: string; first_day: string; last_day: string }>`
      select r.user_id, r.account_key, r.event, min(r.day)::text as first_day, max(r.day)::text as last_day
      from (${userRows(projectId, { from: EVER, to: asOf }, asOf)}) r group by r.user_id, r.account_key, r.event`.execute(db),
    // Members (users with any event belonging to the account) and when each was last active in it.
    sql<{ account_id: string; user_id: string; first_day: string; last_active: string | null }>`
      select r.account_id, r.user_id, min(r.day)::text as first_day, (max(r.day) filter (where ${isActivity('r')}))::text as last_active
      from (${accountRows(projectId, { from: EVER, to: asOf }, asOf)}) r group by r.account_id, r.user_id`.execute(db),
  ]);
  const history: History = { users: new Map(), members: new Map() };
  for (const row of users.rows) {
    const user = userOf(history, row.user_id, row.first_day);
    if (isActivityEvent(row.event)) user.lastActive = later(user.lastActive, row.last_day);
    if (row.account_key !== '') user.accounts.add(row.account_key);
    if (isTrackEvent(row.event)) user.featuresUsed.add(row.event);
  }
  for (const row of members.rows) addMember(history, row.account_id, row.user_id, row.first_day, row.last_active);
  return history;
}

async function userFacts(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, t: SegmentThresholds, asOf: string, userTraits: Map<string, Record<string, unknown>>, history: History): Promise<UserFacts[]> {
  const [table, nps] = await Promise.all([userScoreTable(db, cache, projectId, model, asOf), latestNpsByUser(db, projectId, windowOf(asOf, t.npsWindowDays), asOf)]);
  return [...history.users]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([userId, user]) => {
      const score = table.byId.get(userId) ?? 0;
      const latest = nps.get(userId) ?? null;
      return {
        userId,
        firstSeen: user.firstSeen,
        lastActive: user.lastActive,
        score,
        percentile: percentileOf(table.ascending, score),
        accounts: [...user.accounts].sort(),
        nps: latest,
        npsCategory: latest === null ? null : npsCategory(latest),
        traits: userTraits.get(userId) ?? {},
        featuresUsed: user.featuresUsed,
      } satisfies UserFacts;
    });
}

async function accountFacts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  t: SegmentThresholds,
  asOf: string,
  traits: { users: Map<string, Record<string, unknown>>; accounts: Map<string, Record<string, unknown>> },
  history: History,
): Promise<AccountFacts[]> {
  const before = addDays(asOf, -30);
  const [table, { rows: seen }, activityOf, seatsNow, seatsBefore, activeNow, activeBefore, nps] = await Promise.all([
    accountScoreTable(db, cache, projectId, model, asOf),
    sql<{ account_id: string; first_day: string }>`
      select account_id, first_day::text as first_day from account_first_seen where project_id = ${projectId} and first_day <= ${asOf}::date`.execute(db),
    accountActivity(db, cache, projectId, asOf, t.usageDropPeriodDays, t.weeklyActiveWeeks),
    seatsOfAccounts(db, projectId, asOf),
    seatsOfAccounts(db, projectId, before),
    activeUsers30d(db, cache, projectId, asOf, asOf),
    sameAttribution(db, projectId, before, asOf).then((same) => activeUsers30d(db, cache, projectId, before, same ? asOf : before)),
    npsByAccount(db, projectId, windowOf(asOf, t.npsWindowDays), asOf),
  ]);
  const membersOf = new Map<string, Array<{ userId: string; firstDay: string; lastActive: string | null }>>();
  for (const [accountId, members] of history.members) membersOf.set(accountId, [...members].map(([userId, member]) => ({ userId, ...member })));
  const quietFrom = windowOf(asOf, t.championQuietDays).from;
  const firstSeenOf = new Map(seen.map((row) => [row.account_id, row.first_day]));
  return [...firstSeenOf.keys()]
    .sort()
    .map((accountId) => {
      const accountTraits = traits.accounts.get(accountId) ?? {};
      const own = (membersOf.get(accountId) ?? []).sort((a, b) => (a.userId < b.userId ? -1 : 1));
      const firstSeen = own.reduce((min, member) => (member.firstDay < min ? member.firstDay : min), firstSeenOf.get(accountId)!);
      const lastActive = own.reduce<string | null>((max, member) => (member.lastActive !== null && (max === null || member.lastActive > max) ? member.lastActive : max), null);
      const seats = seatsNow.get(accountId) ?? null;
      const users30d = activeNow.get(accountId) ?? 0;
      const utilisation = utilisationOf(users30d, seats);
      const utilisation30dAgo = utilisationOf(activeBefore.get(accountId) ?? 0, seatsBefore.get(accountId) ?? null);
      const weeks = activityOf.get(accountId)?.weeks ?? new Set<number>();
      const score = table.byId.get(accountId) ?? 0;
      return {
        accountId,
        firstSeen,
        lastActive,
        onboardedAt: traitDay(accountTraits['onboardedAt']),
        trial: accountTraits['trial'] === true,
        score,
        percentile: percentileOf(table.ascending, score),
        seats,
        activeUsers30d: users30d,
        utilisation,
        utilisation30dAgo,
        utilisationChange: utilisationChange(utilisation, utilisation30dAgo),
        activeUserDays: activityOf.get(accountId)?.recent ?? 0,
        activeUserDaysBefore: activityOf.get(accountId)?.earlier ?? 0,
        activeWeeks: Array.from({ length: t.weeklyActiveWeeks }, (_, week) => weeks.has(week)),
        memberCount: own.length,
        quietChampions: own
          .filter((member) => traits.users.get(member.userId)?.['isChampion'] === true && (member.lastActive === null || member.lastActive < quietFrom))
          .map((member) => member.userId),
        nps: nps.get(accountId)?.nps ?? null,
        npsResponses: nps.get(accountId)?.responses ?? 0,
        traits: accountTraits,
        memberIds: own.map((member) => member.userId),
      } satisfies AccountFacts;
    });
}

/**
 * Every account's and user's segment facts as of a day under a score model and thresholds, read
 * from the derived tables and the score tables; cached until the project stores new events.
 *
 * @example
 * const facts = await segmentFacts(db, cache, projectId, model, thresholds, '2026-03-31');
 * accountSegmentMembers('usage-drop', facts.accounts, thresholds, facts.asOf);
 */
export function segmentFacts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  t: SegmentThresholds,
  asOf: string,
): Promise<SegmentFacts> {
  return cache.get(projectId, `segment-facts:${model.version}:${asOf}:${JSON.stringify(t)}`, async () => {
    const [userTraits, accountTraits, history] = await Promise.all([
      traitsAsOf(db, projectId, 'users', USER_FACT_TRAITS, asOf),
      traitsAsOf(db, projectId, 'accounts', ACCOUNT_FACT_TRAITS, asOf),
      historyAsOf(db, projectId, asOf),
    ]);
    const traits = { users: userTraits, accounts: accountTraits };
    const [accounts, users] = await Promise.all([accountFacts(db, cache, projectId, model, t, asOf, traits, history), userFacts(db, cache, projectId, model, t, asOf, traits.users, history)]);
    return { asOf, accounts, users };
  });
}

/**
 * Sum of the counts of `track` events named `event` in the `days` to `asOf`, per user or account
 * (only those with some), for custom rules.
 */
export async function featureCounts(db: Kysely<Database>, projectId: string, of: 'accounts' | 'users', refs: FeatureCountRef[], asOf: string): Promise<FeatureCounts> {
  const counts = new Map<string, Map<string, number>>();
  for (const ref of refs) {
    const key = featureCountKey(ref);
    if (counts.has(key)) continue;
    const window = windowOf(asOf, ref.days);
    const result =
      of === 'users'
        ? await sql<{ id: string; n: number }>`
            select r.user_id as id, sum(r.count)::int as n from (${userRows(projectId, window, asOf)}) r where r.event = ${ref.event} group by r.user_id`.execute(db)
        : await sql<{ id: string; n: number }>`
            select r.account_id as id, sum(r.count)::int as n from (${accountRows(projectId, window, asOf)}) r where r.event = ${ref.event} group by r.account_id`.execute(db);
    counts.set(key, new Map(result.rows.map((row) => [row.id, row.n])));
  }
  return counts;
}
