import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { EventRow } from '../../ingestion/prepare-batch.ts';
import { eventKey, utcDay } from './event-key.ts';

type Counted = { id: string; accountKey: string; day: string; event: string; count: number };

function countBy(rows: Array<{ id: string; row: EventRow }>): Counted[] {
  const counts = new Map<string, Counted>();
  for (const { id, row } of rows) {
    const accountKey = row.accountId ?? '';
    const day = utcDay(row.timestamp);
    const event = eventKey(row.type, row.event);
    const key = JSON.stringify([id, day, accountKey, event]);
    const known = counts.get(key);
    if (known) known.count++;
    else counts.set(key, { id, accountKey, day, event, count: 1 });
  }
  // One order for every writer, so concurrent batches lock rows in the same order (no deadlock).
  return [...counts.values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : a.accountKey < b.accountKey ? -1 : a.accountKey > b.accountKey ? 1 : a.event < b.event ? -1 : a.event > b.event ? 1 : 0,
  );
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
  return [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Folds the events this transaction actually inserted into the derived tables the query API
 * reads: per user-day-event counts (anonymous ones kept apart until an identify links them, then
 * moved to the user), first-seen days and NPS responses. Runs after identities and memberships
 * were updated, inside the same transaction as the events.
 *
 * @example
 * await updateDerivedTables(trx, projectId, inserted);
 */
export async function updateDerivedTables(trx: Transaction<Database>, projectId: string, inserted: EventRow[]): Promise<void> {
  if (inserted.length === 0) return;
  const anonymousIds = [...new Set(inserted.filter((row) => !row.userId && row.anonymousId).map((row) => row.anonymousId!))];
  const linked = new Map<string, string>();
  if (anonymousIds.length > 0) {
    const found = await trx
      .selectFrom('identities')
      .select(['anonymous_id', 'user_id'])
      .where('project_id', '=', projectId)
      .where('anonymous_id', 'in', anonymousIds)
      .execute();
    for (const row of found) linked.set(row.anonymous_id, row.user_id);
  }

  const ofUsers: Array<{ id: string; row: EventRow }> = [];
  const ofAnonymous: Array<{ id: string; row: EventRow }> = [];
  for (const row of inserted) {
    const userId = row.userId ?? (row.anonymousId ? linked.get(row.anonymousId) : undefined);
    if (userId) ofUsers.push({ id: userId, row });
    else if (row.anonymousId) ofAnonymous.push({ id: row.anonymousId, row });
  }

  await upsertCounts(trx, 'user_day_events', 'user_id', projectId, countBy(ofUsers));
  await upsertCounts(trx, 'anonymous_day_events', 'anonymous_id', projectId, countBy(ofAnonymous));

  const userFirstDays = minDayBy(ofUsers, (item) => item.id, (item) => utcDay(item.row.timestamp));
  if (userFirstDays.length > 0) {
    await sql`
      insert into user_first_seen (project_id, user_id, first_day)
      select ${projectId}, u, d from unnest(${userFirstDays.map(([u]) => u)}::text[], ${userFirstDays.map(([, d]) => d)}::date[]) as input(u, d)
      on conflict (project_id, user_id) do update set first_day = least(user_first_seen.first_day, excluded.first_day)`.execute(trx);
  }
  const accountFirstDays = minDayBy(inserted, (row) => row.accountId, (row) => utcDay(row.timestamp));
  if (accountFirstDays.length > 0) {
    await sql`
      insert into account_first_seen (project_id, account_id, first_day)
      select ${projectId}, a, d from unnest(${accountFirstDays.map(([a]) => a)}::text[], ${accountFirstDays.map(([, d]) => d)}::date[]) as input(a, d)
      on conflict (project_id, account_id) do update set first_day = least(account_first_seen.first_day, excluded.first_day)`.execute(trx);
  }

  const responses = inserted.filter((row) => row.type === 'track' && row.event === '$nps_response' && npsScore(row.properties) !== null);
  if (responses.length > 0) {
    await trx
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
      .execute();
  }

  // An identify that linked an anonymousId: its earlier events now count as the user's.
  const linking = [...new Set(inserted.filter((row) => row.type === 'identify' && row.userId && row.anonymousId).map((row) => row.anonymousId!))].sort();
  if (linking.length > 0) await moveLinkedAnonymousEvents(trx, projectId, linking);
}

function npsScore(properties: Record<string, unknown> | null): number | null {
  const score = properties?.['score'];
  return typeof score === 'number' && Number.isInteger(score) && score >= 0 && score <= 10 ? score : null;
}

async function upsertCounts(
  trx: Transaction<Database>,
  table: 'user_day_events' | 'anonymous_day_events',
  idColumn: 'user_id' | 'anonymous_id',
  projectId: string,
  counts: Counted[],
): Promise<void> {
  if (counts.length === 0) return;
  await sql`
    insert into ${sql.table(table)} (project_id, ${sql.ref(idColumn)}, account_key, day, event, count)
    select ${projectId}, i, a, d, e, c
    from unnest(${counts.map((c) => c.id)}::text[], ${counts.map((c) => c.accountKey)}::text[], ${counts.map((c) => c.day)}::date[],
                ${counts.map((c) => c.event)}::text[], ${counts.map((c) => c.count)}::int[]) with ordinality as input(i, a, d, e, c, n)
    order by n
    on conflict (project_id, ${sql.ref(idColumn)}, day, account_key, event) do update set count = ${sql.table(table)}.count + excluded.count`.execute(trx);
}

/** Moves the day counts of linked anonymousIds to their users (and their first-seen day). */
export async function moveLinkedAnonymousEvents(trx: Transaction<Database>, projectId: string, anonymousIds: string[]): Promise<void> {
  await sql`
    with moved as (
      delete from anonymous_day_events a
      using identities i
      where a.project_id = ${projectId} and a.anonymous_id = any(${anonymousIds}::text[])
        and i.project_id = a.project_id and i.anonymous_id = a.anonymous_id
      returning i.user_id, a.account_key, a.day, a.event, a.count
    ),
    counted as (
      insert into user_day_events (project_id, user_id, account_key, day, event, count)
      select ${projectId}, user_id, account_key, day, event, sum(count)::int from moved
      group by user_id, account_key, day, event
      order by user_id, day, account_key, event
      on conflict (project_id, user_id, day, account_key, event) do update set count = user_day_events.count + excluded.count
    )
    insert into user_first_seen (project_id, user_id, first_day)
    select ${projectId}, user_id, min(day) from moved group by user_id order by user_id
    on conflict (project_id, user_id) do update set first_day = least(user_first_seen.first_day, excluded.first_day)`.execute(trx);
}
