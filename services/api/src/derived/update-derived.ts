import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { seatsOf } from '../domain/seats.ts';
import type { StoredEvent } from './stored-event.ts';
import { eventKey, utcDay } from './event-key.ts';
import { enqueueNpsResponses } from './nps-webhooks.ts';
import { EVERY_DAY, queueScorePoints, queuedDays } from './score-points.ts';

/** What a fold changed: the UTC days of the new events, or every day (new links or memberships). */
export type DerivedChanges = { days: string[]; everyDay: boolean };

type Counted = { id: string; accountKey: string; day: string; event: string; count: number };
/** An inserted event with its UTC day, worked out once per event. */
type Dated = { row: StoredEvent; day: string };

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The UTC day of each row; events of one batch share a few days, so each day's text is made once. */
function withDays(rows: StoredEvent[]): Dated[] {
  const days = new Map<number, string>();
  return rows.map((row) => {
    const dayNumber = Math.floor(row.timestamp.getTime() / 86_400_000);
    let day = days.get(dayNumber);
    if (day === undefined) days.set(dayNumber, (day = utcDay(row.timestamp)));
    return { row, day };
  });
}

// Stored strings never hold NUL (validation rejects it), so NUL separates the parts of a map key.
function countBy(rows: Array<{ id: string; dated: Dated }>): Counted[] {
  const counts = new Map<string, Counted>();
  for (const { id, dated: { row, day } } of rows) {
    const accountKey = row.accountId ?? '';
    const event = eventKey(row.type, row.event);
    const key = `${id}\u0000${day}\u0000${accountKey}\u0000${event}`;
    const known = counts.get(key);
    if (known) known.count++;
    else counts.set(key, { id, accountKey, day, event, count: 1 });
  }
  // One order for every writer, so concurrent batches lock rows in the same order (no deadlock).
  return [...counts.values()].sort((a, b) => compare(a.id, b.id) || compare(a.day, b.day) || compare(a.accountKey, b.accountKey) || compare(a.event, b.event));
}

/** Each (id, day) once, in key order (the order rows are locked in). */
function distinctDays(rows: Array<{ id: string; dated: Dated }>): Array<{ id: string; day: string }> {
  const seen = new Map<string, { id: string; day: string }>();
  for (const { id, dated } of rows) seen.set(`${id}\u0000${dated.day}`, { id, day: dated.day });
  return [...seen.values()].sort((a, b) => compare(a.day, b.day) || compare(a.id, b.id));
}

function minDayBy<T>(items: T[], keyOf: (item: T) => string | null, dayOf: (item: T) => string): Array<[string, string]> {
  const found = new Map<string, string>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === null) continue;
    const day = dayOf(item);
    const known = found.get(key);
    if (!known || day < known) found.set(key, day);
  }
  return [...found].sort(([a], [b]) => compare(a, b));
}

/**
 * Folds the events this transaction actually inserted into the derived tables the query API
 * reads: per user-day-event counts (events with only an anonymousId kept apart, merged into
 * their user at query time through identity_links), first-seen days, identity link days,
 * memberships, seats history and NPS responses. Runs inside the transaction that stores the events.
 *
 * @example
 * await updateDerivedTables(trx, projectId, inserted);
 */
export async function updateDerivedTables(trx: Transaction<Database>, projectId: string, inserted: StoredEvent[]): Promise<DerivedChanges> {
  if (inserted.length === 0) return { days: [], everyDay: false };
  const dated = withDays(inserted);
  const ofUsers: Array<{ id: string; dated: Dated }> = [];
  const ofAnonymous: Array<{ id: string; dated: Dated }> = [];
  for (const item of dated) {
    if (item.row.userId) ofUsers.push({ id: item.row.userId, dated: item });
    else if (item.row.anonymousId) ofAnonymous.push({ id: item.row.anonymousId, dated: item });
  }
  // The counts, spans and first-seen days in one statement (no two of its parts write the same
  // row): on PGlite each statement costs about as much again as its rows.
  const userFirstDays = minDayBy(ofUsers, (item) => item.id, (item) => item.dated.day);
  const accountFirstDays = minDayBy(dated, (item) => item.row.accountId, (item) => item.day);
  const writes = [
    ...countWrites('user_day_events', 'user_id', projectId, countBy(ofUsers)),
    ...countWrites('anonymous_day_events', 'anonymous_id', projectId, countBy(ofAnonymous)),
  ];
  if (userFirstDays.length > 0) {
    writes.push(sql`user_first_seen_written as (
      insert into user_first_seen (project_id, user_id, first_day)
      select ${projectId}, u, d from unnest(${userFirstDays.map(([u]) => u)}::text[], ${userFirstDays.map(([, d]) => d)}::date[]) as input(u, d)
      on conflict (project_id, user_id) do update set first_day = excluded.first_day
      where excluded.first_day < user_first_seen.first_day)`);
  }
  if (accountFirstDays.length > 0) {
    writes.push(sql`account_first_seen_written as (
      insert into account_first_seen (project_id, account_id, first_day)
      select ${projectId}, a, d from unnest(${accountFirstDays.map(([a]) => a)}::text[], ${accountFirstDays.map(([, d]) => d)}::date[]) as input(a, d)
      on conflict (project_id, account_id) do update set first_day = excluded.first_day
      where excluded.first_day < account_first_seen.first_day)`);
  }
  // The days whose score points change, queued for the score-points worker (score-points.ts).
  const queued = queuedDays(projectId, [...distinctDays(ofUsers).map((d) => ({ anonymous: false, ...d })), ...distinctDays(ofAnonymous).map((d) => ({ anonymous: true, ...d }))]);
  if (queued) writes.push(queued);
  if (writes.length > 0) await sql`with ${sql.join(writes, sql`, `)} select 1`.execute(trx);

  // Links: the first user an anonymousId is identified as wins (as the identities table); the
  // link counts from the earliest identify of that pair.
  const identifies = inserted.filter((row) => row.type === 'identify' && row.userId && row.anonymousId);
  const firstUser = new Map<string, string>();
  for (const row of identifies) if (!firstUser.has(row.anonymousId!)) firstUser.set(row.anonymousId!, row.userId!);
  const links = minDayBy(
    identifies.filter((row) => firstUser.get(row.anonymousId!) === row.userId),
    (row) => row.anonymousId,
    (row) => utcDay(row.timestamp),
  );
  let linkedUsers: string[] = [];
  if (links.length > 0) {
    const result = await sql`
      insert into identity_links (project_id, anonymous_id, user_id, link_day)
      select ${projectId}, a, u, d
      from unnest(${links.map(([a]) => a)}::text[], ${links.map(([a]) => firstUser.get(a)!)}::text[], ${links.map(([, d]) => d)}::date[]) as input(a, u, d)
      on conflict (project_id, anonymous_id) do update set link_day = excluded.link_day
      where identity_links.user_id = excluded.user_id and excluded.link_day < identity_links.link_day
      returning user_id`.execute(trx);
    linkedUsers = result.rows.map((row) => (row as { user_id: string }).user_id);
  }

  const joinedUsers = await updateMemberships(trx, projectId, inserted);
  // A new link or join attributes every day of that user anew.
  await queueScorePoints(trx, projectId, [...new Set([...linkedUsers, ...joinedUsers])].map((id) => ({ anonymous: false, id, day: EVERY_DAY })));
  await updateVerifiedMemberships(trx, projectId, inserted);

  const seatCalls = inserted.filter((row) => row.type === 'group' && row.accountId && row.properties && 'seats' in row.properties);
  if (seatCalls.length > 0) {
    await trx
      .insertInto('account_seats')
      .values(seatCalls.map((row) => ({ project_id: projectId, account_id: row.accountId!, message_id: row.messageId, timestamp: row.timestamp, seats: seatsOf(row.properties) })))
      .onConflict((oc) => oc.columns(['project_id', 'account_id', 'message_id']).doNothing())
      .execute();
  }

  const responses = inserted.filter((row) => row.type === 'track' && row.event === '$nps_response' && npsScore(row.properties) !== null);
  if (responses.length > 0) {
    const stored = await trx
      .insertInto('nps_responses')
      .values(
        responses.map((row) => ({
          project_id: projectId,
          message_id: row.messageId,
          user_id: row.userId,
          anonymous_id: row.anonymousId,
          account_id: row.accountId,
          timestamp: row.timestamp,
          score: npsScore(row.properties)!,
        })),
      )
      .onConflict((oc) => oc.columns(['project_id', 'message_id']).doNothing())
      .returning('message_id')
      .execute();
    // Webhooks for the answers stored now (a repeated answer was sent the first time).
    const isNew = new Set(stored.map((answer) => answer.message_id));
    await enqueueNpsResponses(trx, projectId, responses.filter((row) => isNew.has(row.messageId)).map((row) => ({ row, score: npsScore(row.properties)! })));
  }
  // A new link or membership re-attributes events of any day; otherwise only the events' days changed.
  return { days: [...new Set(dated.map((item) => item.day))], everyDay: linkedUsers.length + joinedUsers.length > 0 };
}

/**
 * Memberships from the group calls in `inserted`, and from the identifies that link an anonymousId
 * whose group calls came first (in this batch or an earlier one). A user's own group call joins at
 * its time; an anonymous-only one is kept in anonymous_memberships and joins the linked user from
 * the later of the call and the start of the link day, so an answer as of a day before the link
 * does not count it. Every write keeps the earliest time (least), so the order the calls arrive in
 * does not matter and the result equals `rebuildDerivedTables`. Runs after identity_links is updated.
 * Returns the users who joined an account, or joined it earlier than known.
 */
async function updateMemberships(trx: Transaction<Database>, projectId: string, inserted: StoredEvent[]): Promise<string[]> {
  const groupCalls = inserted.filter((row) => row.type === 'group' && row.accountId);
  const earliest = (rows: StoredEvent[], keyOf: (row: StoredEvent) => [string, string]) => {
    const found = new Map<string, { key: [string, string]; time: Date }>();
    for (const row of rows) {
      const key = keyOf(row);
      const id = JSON.stringify(key);
      const known = found.get(id);
      if (!known || row.timestamp < known.time) found.set(id, { key, time: row.timestamp });
    }
    return [...found.values()].sort((a, b) => compare(a.key[0], b.key[0]) || compare(a.key[1], b.key[1]));
  };
  const own = earliest(groupCalls.filter((row) => row.userId), (row) => [row.accountId!, row.userId!]);
  const anonymous = earliest(groupCalls.filter((row) => !row.userId && row.anonymousId), (row) => [row.anonymousId!, row.accountId!]);
  if (anonymous.length > 0) {
    await sql`
      insert into anonymous_memberships (project_id, anonymous_id, account_id, joined_at)
      select ${projectId}, n, a, t
      from unnest(${anonymous.map((m) => m.key[0])}::text[], ${anonymous.map((m) => m.key[1])}::text[], ${anonymous.map((m) => m.time.toISOString())}::timestamptz[]) with ordinality as input(n, a, t, o)
      order by o
      on conflict (project_id, anonymous_id, account_id) do update set joined_at = least(anonymous_memberships.joined_at, excluded.joined_at)`.execute(trx);
  }
  // anonymousIds whose memberships may have become a user's, or started earlier: new anonymous
  // group calls, and new identifies (a new link, or an older identify moving the link day back).
  const touched = [
    ...new Set([
      ...anonymous.map((m) => m.key[0]),
      ...inserted.filter((row) => row.type === 'identify' && row.userId && row.anonymousId).map((row) => row.anonymousId!),
    ]),
  ].sort(compare);
  if (own.length === 0 && touched.length === 0) return [];
  if (touched.length > 0) {
    // A group call and the identify that links it may be stored by two concurrent transactions,
    // neither seeing the other's row. Each takes a lock for its anonymousIds (one of 32 per project,
    // so a batch holds few locks; in one order; held to the commit) after writing its rows and
    // before resolving: the later one then sees both.
    await sql`
      select pg_advisory_xact_lock(k) from (
        select distinct hashtextextended(${projectId} || ':memberships:' || (hashtext(a) & 31)::text, 0) as k
        from unnest(${touched}::text[]) as input(a) order by k
      ) locks`.execute(trx);
  }
  // One statement, rows in key order: concurrent batches lock memberships in the same order.
  // Only new or earlier joins are written (and reported): the SDK repeats group calls often.
  const written = await sql`
    insert into memberships (project_id, account_id, user_id, joined_at)
    select ${projectId}, account_id, user_id, min(joined_at) from (
      select a as account_id, u as user_id, t as joined_at
      from unnest(${own.map((m) => m.key[0])}::text[], ${own.map((m) => m.key[1])}::text[], ${own.map((m) => m.time.toISOString())}::timestamptz[]) as input(a, u, t)
      union all
      select m.account_id, l.user_id, greatest(m.joined_at, l.link_day::timestamp at time zone 'UTC')
      from anonymous_memberships m
      join identity_links l on l.project_id = m.project_id and l.anonymous_id = m.anonymous_id
      where m.project_id = ${projectId} and m.anonymous_id = any(${touched}::text[])
    ) joins
    group by account_id, user_id
    order by account_id, user_id
    on conflict (project_id, account_id, user_id) do update set joined_at = excluded.joined_at
    where excluded.joined_at < memberships.joined_at
    returning user_id`.execute(trx);
  return written.rows.map((row) => (row as { user_id: string }).user_id);
}

/**
 * Verified memberships (docs/widgets.md): a user's group calls that carried their valid userHash,
 * earliest first. Anonymous group calls never verify (no userId to hash), even once an identify
 * links them. Widgets read these only, never the query figures: no figure changes here.
 */
async function updateVerifiedMemberships(trx: Transaction<Database>, projectId: string, inserted: StoredEvent[]): Promise<void> {
  const earliest = new Map<string, { accountId: string; userId: string; time: Date }>();
  for (const row of inserted) {
    if (row.type !== 'group' || !row.userVerified || !row.userId || !row.accountId) continue;
    const key = `${row.userId}\u0000${row.accountId}`;
    const known = earliest.get(key);
    if (!known || row.timestamp < known.time) earliest.set(key, { accountId: row.accountId, userId: row.userId, time: row.timestamp });
  }
  if (earliest.size === 0) return;
  // Key order: concurrent batches lock rows in the same order.
  const joins = [...earliest.values()].sort((a, b) => compare(a.userId, b.userId) || compare(a.accountId, b.accountId));
  await sql`
    insert into verified_memberships (project_id, user_id, account_id, joined_at)
    select ${projectId}, u, a, t
    from unnest(${joins.map((j) => j.userId)}::text[], ${joins.map((j) => j.accountId)}::text[], ${joins.map((j) => j.time.toISOString())}::timestamptz[]) with ordinality as input(u, a, t, o)
    order by o
    on conflict (project_id, user_id, account_id) do update set joined_at = excluded.joined_at
    where excluded.joined_at < verified_memberships.joined_at`.execute(trx);
}

function npsScore(properties: Record<string, unknown> | null): number | null {
  const score = properties?.['score'];
  return typeof score === 'number' && Number.isInteger(score) && score >= 0 && score <= 10 ? score : null;
}

/**
 * The WITH items that add `counts` to a day table and widen event_spans. A span can only widen
 * when a day row is new: those rows (xmax = 0 after the upsert) widen it, and the repeats of a
 * day already counted cost nothing there.
 */
function countWrites(
  table: 'user_day_events' | 'anonymous_day_events',
  idColumn: 'user_id' | 'anonymous_id',
  projectId: string,
  counts: Counted[],
): RawBuilder<unknown>[] {
  if (counts.length === 0) return [];
  const counted = sql.id(`${table}_counted`);
  return [
    sql`${counted} as (
      insert into ${sql.table(table)} (project_id, ${sql.ref(idColumn)}, account_key, day, event, count)
      select ${projectId}, i, a, d, e, c
      from unnest(${counts.map((c) => c.id)}::text[], ${counts.map((c) => c.accountKey)}::text[], ${counts.map((c) => c.day)}::date[],
                  ${counts.map((c) => c.event)}::text[], ${counts.map((c) => c.count)}::int[]) with ordinality as input(i, a, d, e, c, n)
      order by n
      on conflict (project_id, ${sql.ref(idColumn)}, day, account_key, event) do update set count = ${sql.table(table)}.count + excluded.count
      returning ${sql.ref(idColumn)} as id, account_key, event, day, xmax = 0 as fresh
    )`,
    sql`${sql.id(`${table}_spans`)} as (
      insert into event_spans (project_id, anonymous, subject_id, account_key, event, first_day, last_day)
      select ${projectId}, ${table === 'anonymous_day_events'}, id, account_key, event, min(day), max(day)
      from ${counted} where fresh group by id, account_key, event
      order by id, account_key, event
      on conflict (project_id, anonymous, subject_id, account_key, event) do update
      set first_day = least(event_spans.first_day, excluded.first_day), last_day = greatest(event_spans.last_day, excluded.last_day)
      where excluded.first_day < event_spans.first_day or excluded.last_day > event_spans.last_day
    )`,
  ];
}
