import { sql, type RawBuilder } from 'kysely';

/** SQL condition on `event`: the row counts as activity (domain/activity.ts `isActivityEvent`). */
export const isActivity = (alias: string) =>
  sql`left(${sql.ref(`${alias}.event`)}, 5) <> '$nps_' and left(${sql.ref(`${alias}.event`)}, 9) <> '$message_' and ${sql.ref(`${alias}.event`)} not in ('$identify', '$group')`;

/** SQL condition on `event`: the row is a track event's (domain/activity.ts `isTrackEvent`). */
export const isTrackEventRow = (alias: string) => sql`${sql.ref(`${alias}.event`)} not in ('$identify', '$group', '$page')`;

function endOfDay(day: string | RawBuilder<unknown>) {
  return sql`(${day}::date + 1)::timestamp at time zone 'UTC'`;
}

/** Some users: one id, several, or a query answering `user_id` values. */
export type UserSelection = string | readonly string[] | RawBuilder<unknown>;

/**
 * Rows `(user_id, account_key, day, event, count)` of identified users between two days, as the
 * project stood at the end of `asOf`: anonymous events count for the user an identify made by
 * that day linked them to (earlier events included).
 */
export function userRows(projectId: string, window: { from: string; to: string }, asOf: string, users?: UserSelection, membersOf?: string | readonly string[]): RawBuilder<unknown> {
  // users: only these; membersOf: only users who had joined that account (or one of those
  // accounts) by asOf. Both keep one id's or a few accounts' reads small.
  const ofUsers = (column: RawBuilder<unknown>) =>
    users === undefined
      ? sql``
      : typeof users === 'string'
        ? sql`and ${column} = ${users}`
        : Array.isArray(users)
          ? sql`and ${column} = any(${users}::text[])`
          : sql`and ${column} in (${users as RawBuilder<unknown>})`;
  const ofMembers = (column: RawBuilder<unknown>) =>
    membersOf === undefined
      ? sql``
      : sql`and ${column} in (select user_id from memberships where project_id = ${projectId}
          and ${typeof membersOf === 'string' ? sql`account_id = ${membersOf}` : sql`account_id = any(${membersOf}::text[])`} and joined_at < ${endOfDay(asOf)})`;
  return sql`
    select user_id, account_key, day, event, count from user_day_events
    where project_id = ${projectId} and day between ${window.from}::date and ${window.to}::date
    ${ofUsers(sql`user_id`)} ${ofMembers(sql`user_id`)}
    union all
    select l.user_id, a.account_key, a.day, a.event, a.count
    from anonymous_day_events a
    join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.anonymous_id and l.link_day <= ${asOf}::date
      ${ofUsers(sql`l.user_id`)} ${ofMembers(sql`l.user_id`)}
    where a.project_id = ${projectId} and a.day between ${window.from}::date and ${window.to}::date`;
}

/**
 * An `asOf` after every link and join that can be stored: the rows as the project stands now
 * (what the kept score points are made of, derived/score-points.ts).
 */
export const AS_OF_NOW = '9999-12-30';

/**
 * The users whose kept figures (made with the links as they are now, from the days folded so
 * far: derived/score-points.ts, derived/active-days.ts) may differ from their rows as of `asOf`:
 * users linked after `asOf`, and users with queued days (their own, or an anonymousId's they are
 * linked to). An answer from kept figures recomputes these few from the per-day counts.
 */
export function usersKeptDiffer(projectId: string, asOf: string): RawBuilder<unknown> {
  return sql`
    select user_id from identity_links where project_id = ${projectId} and link_day > ${asOf}::date
    union
    select subject_id from score_point_queue where project_id = ${projectId} and not anonymous
    union
    select l.user_id from score_point_queue q join identity_links l on l.project_id = q.project_id and l.anonymous_id = q.subject_id
    where q.project_id = ${projectId} and q.anonymous`;
}

/**
 * The users whose kept account pairs (derived/active-days.ts) may differ from their rows as of
 * `asOf`: those of `usersKeptDiffer`, and users who joined an account after `asOf`.
 */
export function membersKeptDiffer(projectId: string, asOf: string): RawBuilder<unknown> {
  return sql`
    ${usersKeptDiffer(projectId, asOf)}
    union
    select user_id from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(asOf)}`;
}

/**
 * Rows `(account_id, user_id, day, event, count)` of the events that belong to accounts
 * (docs/api.md, Definitions) as of `asOf`: the account the event names, else every account its user had joined by then
 * (memberships.joined_at: a group call sent before the identify that linked its anonymousId
 * counts from the link day).
 */
export function accountRows(projectId: string, window: { from: string; to: string }, asOf: string, accounts?: string | readonly string[], users?: UserSelection): RawBuilder<unknown> {
  // accounts: only these (one id or several); users: only the rows of these users.
  const rows = userRows(projectId, window, asOf, users);
  const memberRows = accounts === undefined ? rows : userRows(projectId, window, asOf, users, accounts);
  const ofAccounts = (column: RawBuilder<unknown>) =>
    accounts === undefined ? sql`` : typeof accounts === 'string' ? sql`and ${column} = ${accounts}` : sql`and ${column} = any(${accounts}::text[])`;
  return sql`
    select r.account_key as account_id, r.user_id, r.day, r.event, r.count from (${rows}) r
    where r.account_key <> '' ${ofAccounts(sql`r.account_key`)}
    union all
    select m.account_id, r.user_id, r.day, r.event, r.count
    from (${memberRows}) r
    join memberships m on m.project_id = ${projectId} and m.user_id = r.user_id and m.joined_at < ${endOfDay(asOf)}
      ${ofAccounts(sql`m.account_id`)}
    where r.account_key = ''`;
}

export { endOfDay };
