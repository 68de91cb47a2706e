import { sql, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import { endOfDay } from './activity-rows.ts';

// The figures SQL must compute, each written once here as a Kysely fragment and used by every
// query that computes it. Each is the SQL form of a pure definition in domain/ (named on each);
// docs/architecture.md lists where every figure is defined.

/**
 * The events a score model counts, with their weight (domain/score.ts `countsTowardScore`,
 * `featureWeight`), over rows aliased `alias` with an `event` column: a `join` to add after the
 * rows, a `filter` for their where clause, and the `weight` expression.
 */
export function scoredEvents(model: Pick<ScoreModel, 'everyTrackEvent' | 'features'>, alias: string): { join: RawBuilder<unknown>; filter: RawBuilder<unknown>; weight: RawBuilder<unknown> } {
  const event = sql.ref(`${alias}.event`);
  if (model.everyTrackEvent) return { join: sql``, filter: sql`left(${event}, 1) <> '$'`, weight: sql`1.0::float8` };
  const events = Object.keys(model.features);
  const weights = events.map((name) => model.features[name]!.weight);
  return { join: sql`join unnest(${events}::text[], ${weights}::float8[]) as w(event, weight) on w.event = ${event}`, filter: sql`true`, weight: sql`w.weight` };
}

/**
 * The scored part of activity rows (`user_id, day, event, count`, plus the `keys` columns): per
 * keys, user, day and event the count capped at the model's dailyCap (domain/score.ts
 * `cappedDailyCount`), for the events the model counts only. Columns: the keys, `user_id`,
 * `day`, `event`, `capped`, `weight`. A score is Σ weight × capped over its rows.
 *
 * @example
 * sql`select c.event, sum(c.capped)::float8 from (${cappedDailyCounts(model, rows)}) c group by c.event`
 */
export function cappedDailyCounts(model: ScoreModel, rows: RawBuilder<unknown>, keys: ReadonlyArray<'account_id'> = []): RawBuilder<unknown> {
  const terms = scoredEvents(model, 'c');
  const keyColumns = keys.map((key) => sql`${sql.ref(`r.${key}`)}, `);
  const keyRefs = keys.map((key) => sql`${sql.ref(`c.${key}`)}, `);
  return sql`
    select ${sql.join(keyRefs, sql``)}c.user_id, c.day, c.event, least(c.n, ${model.dailyCap}) as capped, ${terms.weight} as weight
    from (select ${sql.join(keyColumns, sql``)}r.user_id, r.day, r.event, sum(r.count) as n from (${rows}) r group by ${sql.join(keyColumns, sql``)}r.user_id, r.day, r.event) c
    ${terms.join} where ${terms.filter}`;
}

/**
 * The activity rows (any columns, with `event` and `count`) whose events a score model counts,
 * each of them part of a capped daily count above 0 (`cappedDailyCounts`: dailyCap is at least
 * 1): the features used, as domain/health.ts breadth counts them, without summing the counts.
 *
 * @example
 * sql`select distinct c.account_id, c.event from (${scoredRows(model, accountRows(projectId, window, asOf))}) c`
 */
export function scoredRows(model: ScoreModel, rows: RawBuilder<unknown>): RawBuilder<unknown> {
  const terms = scoredEvents(model, 'r');
  return sql`select r.* from (${rows}) r ${terms.join} where ${terms.filter} and r.count > 0`;
}

/**
 * Seats of every account (or one) as of the end of a day (a date, or an SQL expression of one:
 * a lateral join's day): per account, the latest group call by then that set the trait
 * (timestamp, then messageId), its value as domain/seats.ts `seatsOf` read it when derived/
 * stored it. Columns: `account_id`, `seats` (null when unknown).
 */
export function seatsAsOf(projectId: string, asOf: string | RawBuilder<unknown>, accountId?: string): RawBuilder<unknown> {
  return sql`
    select distinct on (account_id) account_id, seats from account_seats
    where project_id = ${projectId} ${accountId === undefined ? sql`` : sql`and account_id = ${accountId}`} and timestamp < ${endOfDay(asOf)}
    order by account_id, timestamp desc, message_id desc`;
}

/**
 * The NPS answers in the days `window` as the project stood at the end of `asOf`: each answer's
 * user resolved through the identity links made by then, answers of nobody left out. Columns:
 * `user_id`, `account_id` (the account the answer names, or null), `score`, `timestamp`, `message_id`.
 */
function npsAnswers(projectId: string, window: { from: string; to: string }, asOf: string): RawBuilder<unknown> {
  return sql`
    select r.* from (
      select coalesce(n.user_id, l.user_id) as user_id, n.account_id, n.score, n.timestamp, n.message_id
      from nps_responses n
      left join identity_links l on n.user_id is null and l.project_id = n.project_id and l.anonymous_id = n.anonymous_id and l.link_day <= ${asOf}::date
      where n.project_id = ${projectId}
        and n.timestamp >= ${window.from}::date::timestamp at time zone 'UTC'
        and n.timestamp < ${endOfDay(window.to)} and n.timestamp < ${endOfDay(asOf)}
    ) r
    where r.user_id is not null`;
}

/**
 * Each user's latest NPS answer in the window (domain/nps.ts `latestAnswerPerUser`: by timestamp,
 * then messageId), as of the end of `asOf`. Columns: `user_id`, `score`.
 */
export function latestNpsPerUser(projectId: string, window: { from: string; to: string }, asOf: string): RawBuilder<unknown> {
  return sql`
    select distinct on (a.user_id) a.user_id, a.score from (${npsAnswers(projectId, window, asOf)}) a
    order by a.user_id, a.timestamp desc, a.message_id desc`;
}

/**
 * Per account (every one, or one), each user's latest NPS answer among the account's answers in
 * the window: those naming it, or, naming none, those of users who had joined it by the end of
 * `asOf`. Columns: `account_id`, `user_id`, `score`.
 */
export function latestNpsPerAccountUser(projectId: string, window: { from: string; to: string }, asOf: string, accountId?: string): RawBuilder<unknown> {
  const answers = npsAnswers(projectId, window, asOf);
  return sql`
    select distinct on (a.account_id, a.user_id) a.account_id, a.user_id, a.score from (
      select r.account_id, r.user_id, r.score, r.timestamp, r.message_id from (${answers}) r
      where ${accountId === undefined ? sql`r.account_id is not null` : sql`r.account_id = ${accountId}`}
      union all
      select m.account_id, r.user_id, r.score, r.timestamp, r.message_id from (${answers}) r
      join memberships m on m.project_id = ${projectId} and m.user_id = r.user_id and m.joined_at < ${endOfDay(asOf)}
        ${accountId === undefined ? sql`` : sql`and m.account_id = ${accountId}`}
      where r.account_id is null
    ) a
    order by a.account_id, a.user_id, a.timestamp desc, a.message_id desc`;
}
