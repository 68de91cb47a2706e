import type { Kysely } from 'kysely';
import type { ExportFormat } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { eventCsvHeader, eventCsvLine } from './events-csv.ts';
import { eventRows, exportedEvent } from './events-export.ts';
import { inSnapshot } from './snapshot.ts';

/** Records as NDJSON lines: one JSON object and a line feed each. */
export async function* ndjsonLines<T>(records: AsyncIterable<T>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}

/**
 * The lines of a project's event export (`GET /v1/events/export` and `uptake export`): the
 * events whose timestamp is in [from, to], read from one snapshot a page at a time, as NDJSON
 * (one exported event per line) or CSV (a header, then one line per event).
 */
export async function* eventExportLines(db: Kysely<Database>, projectId: string, range: { from: Date; to: Date; format: ExportFormat }): AsyncGenerator<string> {
  const rows = inSnapshot(db, (trx) => eventRows(trx, { projectId, from: range.from, to: range.to }));
  if (range.format === 'csv') {
    yield eventCsvHeader;
    for await (const row of rows) yield eventCsvLine(row);
    return;
  }
  for await (const row of rows) yield `${JSON.stringify(exportedEvent(row))}\n`;
}
