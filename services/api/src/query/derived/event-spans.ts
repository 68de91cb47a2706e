import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { EventRow } from '../../ingestion/prepare-batch.ts';
import { eventKey, utcDay } from './event-key.ts';

type Span = { anonymous: boolean; id: string; accountKey: string; event: string; firstDay: string; lastDay: string };

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Widens event_spans (first and last day per user or unlinked anonymousId, named account and
 * event) by the events this transaction inserted, in one statement. A row is written only when
 * its span grows (a first event of that kind, or one on a later or earlier day): events of a day
 * already seen cost a key lookup each, not a write.
 *
 * @example
 * await widenEventSpans(trx, projectId, inserted);
 */
export async function widenEventSpans(trx: Transaction<Database>, projectId: string, inserted: EventRow[]): Promise<void> {
  const spans = new Map<string, Span>();
  for (const row of inserted) {
    const anonymous = !row.userId;
    const id = row.userId || row.anonymousId;
    if (!id) continue;
    const accountKey = row.accountId ?? '';
    const event = eventKey(row.type, row.event);
    const day = utcDay(row.timestamp);
    const key = JSON.stringify([anonymous, id, accountKey, event]);
    const known = spans.get(key);
    if (!known) spans.set(key, { anonymous, id, accountKey, event, firstDay: day, lastDay: day });
    else if (day < known.firstDay) known.firstDay = day;
    else if (day > known.lastDay) known.lastDay = day;
  }
  if (spans.size === 0) return;
  // Key order, as every writer: concurrent batches lock rows in the same order (no deadlock).
  const rows = [...spans.values()].sort(
    (a, b) => Number(a.anonymous) - Number(b.anonymous) || compare(a.id, b.id) || compare(a.accountKey, b.accountKey) || compare(a.event, b.event),
  );
  await sql`
    insert into event_spans (project_id, anonymous, subject_id, account_key, event, first_day, last_day)
    select ${projectId}, n, i, a, e, f, l
    from unnest(${rows.map((r) => r.anonymous)}::boolean[], ${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.accountKey)}::text[],
                ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.firstDay)}::date[], ${rows.map((r) => r.lastDay)}::date[]) with ordinality as input(n, i, a, e, f, l, o)
    order by o
    on conflict (project_id, anonymous, subject_id, account_key, event) do update
    set first_day = least(event_spans.first_day, excluded.first_day), last_day = greatest(event_spans.last_day, excluded.last_day)
    where excluded.first_day < event_spans.first_day or excluded.last_day > event_spans.last_day`.execute(trx);
}
