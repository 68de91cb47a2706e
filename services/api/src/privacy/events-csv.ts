import { EVENT_CSV_COLUMNS } from '@uptake/protocol';
import { csvField } from '../domain/csv.js';
import type { EventRow } from './events-export.ts';

const JSON_COLUMNS = new Set(['properties', 'context', 'extra']);

/** The CSV header line of an event export (RFC 4180, CRLF). */
export const eventCsvHeader = `${EVENT_CSV_COLUMNS.join(',')}\r\n`;

/**
 * One event as a CSV line in EVENT_CSV_COLUMNS order. Cells are those of `domain/csv.js` (the
 * dashboard's segment export runs it too): a text that a spreadsheet would run as a formula gets
 * a leading apostrophe; the JSON columns are JSON text, neutralised the same way.
 */
export function eventCsvLine(row: EventRow): string {
  const cells: Record<(typeof EVENT_CSV_COLUMNS)[number], unknown> = {
    messageId: row.message_id,
    type: row.type,
    event: row.event,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    accountId: row.account_id,
    timestamp: row.timestamp.toISOString(),
    receivedAt: row.received_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
    properties: row.properties,
    context: row.context,
    extra: row.extra,
  };
  return `${EVENT_CSV_COLUMNS.map((column) => csvField(JSON_COLUMNS.has(column) && cells[column] !== null ? JSON.stringify(cells[column]) : cells[column])).join(',')}\r\n`;
}

