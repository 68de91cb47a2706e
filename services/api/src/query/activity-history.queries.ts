import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { joinedByUser, withSpans, type History, type MembershipRow, type SpanRow } from '../domain/segments/fold-history.ts';
import { endOfDay, isActivity, isTrackEventRow, userRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';

/** The first day any history query reaches back to. */
const EVER = '1970-01-01';

/**
 * event_spans as of the end of a day: rows `(user_id, account_key, event, first_day, last_day)`
 * of identified users and of the anonymousIds linked to them by then, with some event by then.
 * first_day is exact as of that day; last_day may lie after it. `user`: one user's only (an SQL
 * expression, which may name an outer query's column), read by index.
 */
function spansAsOf(projectId: string, asOf: string, user?: RawBuilder<unknown>) {
  return sql`
    select subject_id as user_id, account_key, event, first_day, last_day from event_spans
    where project_id = ${projectId} and not anonymous and first_day <= ${asOf}::date ${user === undefined ? sql`` : sql`and subject_id = ${user}`}
    union all
    select l.user_id, a.account_key, a.event, a.first_day, a.last_day from event_spans a
    join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.subject_id and l.link_day <= ${asOf}::date ${user === undefined ? sql`` : sql`and l.user_id = ${user}`}
    where a.project_id = ${projectId} and a.anonymous and a.first_day <= ${asOf}::date`;
}

/**
 * The members of one account as of the end of `asOf` (the keys of `History.members` for it, as
 * `activityHistory` folds them): users with a span naming the account, and users who had
 * joined it by then with a span naming no account. Exact for any day (first days are), and reads
 * one account's spans and its joined users' by index, never the whole history.
 */
export async function accountMembersAsOf(db: Kysely<Database>, projectId: string, accountId: string, asOf: string): Promise<string[]> {
  const result = await sql<{ user_id: string }>`
    select s.user_id from (${spansAsOf(projectId, asOf)}) s where s.account_key = ${accountId}
    union
    select m.user_id from memberships m
    where m.project_id = ${projectId} and m.account_id = ${accountId} and m.joined_at < ${endOfDay(asOf)}
      and exists (select from (${spansAsOf(projectId, asOf, sql`m.user_id`)}) s where s.account_key = '')`.execute(db);
  return result.rows.map((row) => row.user_id);
}

type SpanHistoryRow = SpanRow & { beyond: boolean | null };

/** A span row's user and account key, as one map key. */
const spanKey = (row: { userId: string; accountKey: string }) => `${row.userId}\u0000${row.accountKey}`;

/**
 * The span rows to `asOf` per user and account key: of every span, or of the spans ending on or
 * after `endingFrom`; `beyond`: some activity span of the row ends after `asOf`.
 */
async function spanRows(db: Kysely<Database>, projectId: string, asOf: string, endingFrom?: string): Promise<SpanHistoryRow[]> {
  const result = await sql<SpanHistoryRow>`
    select s.user_id as "userId", s.account_key as "accountKey", min(s.first_day)::text as "firstDay",
      (max(s.last_day) filter (where ${isActivity('s')}))::text as "lastActive",
      bool_or(s.last_day > ${asOf}::date) filter (where ${isActivity('s')}) as beyond,
      array_agg(s.event) filter (where ${isTrackEventRow('s')}) as features
    from (${spansAsOf(projectId, asOf)}) s ${endingFrom === undefined ? sql`` : sql`where s.last_day >= ${endingFrom}::date`}
    group by s.user_id, s.account_key`.execute(db);
  return result.rows;
}

/**
 * `spans` with each row's last day of activity to `asOf` exact: where a row's spans cannot tell it
 * (one of its activity spans ends after `asOf`: a user active since), read for that row's user
 * from every day of their rows to `asOf` (only users active after `asOf` are read so: for a
 * recent day, few).
 */
async function withLastActiveAsOf(db: Kysely<Database>, projectId: string, asOf: string, spans: readonly SpanHistoryRow[]): Promise<SpanHistoryRow[]> {
  const users = [...new Set(spans.filter((row) => row.beyond === true).map((row) => row.userId))];
  const result = await sql<{ userId: string; accountKey: string; lastActive: string | null }>`
    select r.user_id as "userId", r.account_key as "accountKey", (max(r.day) filter (where ${isActivity('r')}))::text as "lastActive"
    from (${userRows(projectId, { from: EVER, to: asOf }, asOf, users)}) r group by r.user_id, r.account_key`.execute(db);
  const lastActive = new Map(result.rows.map((row) => [spanKey(row), row.lastActive]));
  const read = new Set(users);
  return spans.map((row) => (read.has(row.userId) ? { ...row, lastActive: lastActive.get(spanKey(row)) ?? null, beyond: false } : row));
}

/**
 * The kept history, with the accounts each user had joined (the memberships), and whether the
 * spans alone gave it (no row read again from the days: a history that can be brought up to date).
 */
type KeptHistory = { history: History; joined: ReadonlyMap<string, readonly string[]>; fromSpansAlone: boolean };

const endsAfter = (spans: readonly SpanHistoryRow[]) => spans.some((row) => row.beyond === true);

/**
 * Users' and accounts' whole history to a day (domain/segments/fold-history.ts), folded from
 * event_spans per user and account key with the memberships; where a user was active after
 * `asOf`, their last day of activity by then from their rows (`withLastActiveAsOf`). Cached, and
 * brought up to date from the days new events fell on: a span only grows (its first day earlier,
 * its last day later; a deletion names no day, so it reads afresh), and a change of day d leaves
 * the spans it touched ending on d or later, so the rows of the spans ending on or after the
 * earliest changed day, folded into the kept history, give the history a read from nothing would
 * (after an event of today: one day's spans, not 100 k rows). Memberships change only with
 * changes naming no day, so they are kept.
 */
export async function activityHistory(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string): Promise<History> {
  const kept = await cache.incremental<KeptHistory>(projectId, `activity-history:${asOf}`, async (since) => {
    if (since?.value.fromSpansAlone) {
      if (since.changedDays.length === 0) return since.value;
      const changed = await spanRows(db, projectId, asOf, since.changedDays.reduce((a, b) => (a < b ? a : b)));
      if (!endsAfter(changed)) return { ...since.value, history: withSpans(since.value.history, changed, since.value.joined) };
    }
    const { spans, memberships } = await allSpanRows(db, projectId, asOf);
    const fromSpansAlone = !endsAfter(spans);
    const joined = joinedByUser(memberships);
    return { history: withSpans(undefined, fromSpansAlone ? spans : await withLastActiveAsOf(db, projectId, asOf, spans), joined), joined, fromSpansAlone };
  }, asOf);
  return kept.history;
}

async function allSpanRows(db: Kysely<Database>, projectId: string, asOf: string) {
  const [spans, memberships] = await Promise.all([
    spanRows(db, projectId, asOf),
    sql<MembershipRow>`
      select account_id as "accountId", user_id as "userId" from memberships where project_id = ${projectId} and joined_at < ${endOfDay(asOf)}`.execute(db),
  ]);
  return { spans, memberships: memberships.rows };
}
