import { sql, type RawBuilder } from 'kysely';

/** SQL condition on `event`: the row counts as activity (domain/activity.ts `isActivityEvent`). */
export const isActivity = (alias: string) =>
  sql`left(${sql.ref(`${alias}.event`)}, 5) <> '$nps_' and ${sql.ref(`${alias}.event`)} not in ('$identify', '$group')`;

/** SQL condition on `event`: the row is a track event's (domain/activity.ts `isTrackEvent`). */
export const isTrackEventRow = (alias: string) => sql`${sql.ref(`${alias}.event`)} not in ('$identify', '$group', '$page')`;

function endOfDay(day: string) {
  return sql`(${day}::date + 1)::timestamp at time zone 'UTC'`;
}

/**
 * Rows `(user_id, account_key, day, event, count)` of identified users between two days, as the
 * project stood at the end of `asOf`: anonymous events count for the user an identify made by
 * that day linked them to (earlier events included).
 */
export function userRows(projectId: string, window: { from: string; to: string }, asOf: string, userId?: string, membersOf?: string): RawBuilder<unknown> {
  // membersOf: only users who had joined that account by asOf (keeps one account's reads small).
  const members = membersOf === undefined ? sql`` : sql`and user_id in (select user_id from memberships where project_id = ${projectId} and account_id = ${membersOf} and joined_at < ${endOfDay(asOf)})`;
  return sql`
    select user_id, account_key, day, event, count from user_day_events
    where project_id = ${projectId} and day between ${window.from}::date and ${window.to}::date
    ${userId === undefined ? sql`` : sql`and user_id = ${userId}`} ${members}
    union all
    select l.user_id, a.account_key, a.day, a.event, a.count
    from anonymous_day_events a
    join identity_links l on l.project_id = a.project_id and l.anonymous_id = a.anonymous_id and l.link_day <= ${asOf}::date
      ${userId === undefined ? sql`` : sql`and l.user_id = ${userId}`}
      ${membersOf === undefined ? sql`` : sql`and l.user_id in (select user_id from memberships where project_id = ${projectId} and account_id = ${membersOf} and joined_at < ${endOfDay(asOf)})`}
    where a.project_id = ${projectId} and a.day between ${window.from}::date and ${window.to}::date`;
}

/**
 * Rows `(account_id, user_id, day, event, count)` of the events that belong to accounts
 * (docs/api.md, Definitions) as of `asOf`: the account the event names, else every account its user had joined by then
 * (memberships.joined_at: a group call sent before the identify that linked its anonymousId
 * counts from the link day).
 */
export function accountRows(projectId: string, window: { from: string; to: string }, asOf: string, accountId?: string): RawBuilder<unknown> {
  const rows = userRows(projectId, window, asOf);
  const memberRows = accountId === undefined ? rows : userRows(projectId, window, asOf, undefined, accountId);
  return sql`
    select r.account_key as account_id, r.user_id, r.day, r.event, r.count from (${rows}) r
    where ${accountId === undefined ? sql`r.account_key <> ''` : sql`r.account_key = ${accountId}`}
    union all
    select m.account_id, r.user_id, r.day, r.event, r.count
    from (${memberRows}) r
    join memberships m on m.project_id = ${projectId} and m.user_id = r.user_id and m.joined_at < ${endOfDay(asOf)}
      ${accountId === undefined ? sql`` : sql`and m.account_id = ${accountId}`}
    where r.account_key = ''`;
}

export { endOfDay };
