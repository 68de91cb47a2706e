import type { Kysely, Selectable } from 'kysely';
import type { ExportedEvent } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { EventsTable } from '../db/tables/events.table.ts';

/** Rows per keyset page: bounds the memory of an export whatever its range (an event is at most 32 KB of JSON). */
export const EXPORT_PAGE_ROWS = 250;

export type EventRow = Selectable<EventsTable>;

/** Which of a project's events an export reads. */
export type EventFilter = { projectId: string } & ({ from: Date; to: Date } | { userId: string });

/**
 * Every event the filter selects, a page at a time in primary-key order ((project_id,
 * message_id), the keyset): each page is one indexed range read, and only one page is held.
 * A user's events are theirs by userId or by an anonymousId an identify linked to them.
 */
export async function* eventRows(db: Kysely<Database>, filter: EventFilter): AsyncGenerator<EventRow> {
  let after: string | undefined;
  for (;;) {
    let query = db.selectFrom('events').selectAll().where('project_id', '=', filter.projectId);
    if (after !== undefined) query = query.where('message_id', '>', after);
    if ('userId' in filter) {
      const { userId, projectId } = filter;
      query = query.where((eb) =>
        eb.or([
          eb('user_id', '=', userId),
          eb('anonymous_id', 'in', eb.selectFrom('identities').select('anonymous_id').where('project_id', '=', projectId).where('user_id', '=', userId)),
        ]),
      );
    } else {
      query = query.where('timestamp', '>=', filter.from).where('timestamp', '<=', filter.to);
    }
    const page = await query.orderBy('message_id').limit(EXPORT_PAGE_ROWS).execute();
    yield* page;
    if (page.length < EXPORT_PAGE_ROWS) return;
    after = page.at(-1)!.message_id;
  }
}

/**
 * A stored event in the form it was sent (protocol v1 field names: `event` or `name`,
 * `properties` or `traits`, `groupId`, the unmapped fields at the top level), with the account
 * the service resolved and the receive time.
 */
export function exportedEvent(row: EventRow): ExportedEvent {
  const payload = row.type === 'track' || row.type === 'page' ? 'properties' : 'traits';
  return {
    ...row.extra,
    messageId: row.message_id,
    type: row.type,
    ...(row.type === 'track' && row.event !== null ? { event: row.event } : {}),
    ...(row.type === 'page' && row.event !== null ? { name: row.event } : {}),
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    ...(row.type === 'group' && row.account_id !== null ? { groupId: row.account_id } : {}),
    accountId: row.account_id,
    timestamp: row.timestamp.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
    receivedAt: row.received_at.toISOString(),
    ...(row.properties === null ? {} : { [payload]: row.properties }),
    context: row.context,
  };
}
