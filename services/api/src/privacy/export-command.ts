import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { eventsExportQuerySchema, type ExportFormat } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { eventExportLines } from './event-lines.ts';

/** A command-line mistake: the message names the flag. */
export class ExportUsageError extends Error {}

export type ExportFlags = { from?: string | undefined; to?: string | undefined; format?: string | undefined; out?: string | undefined };

/** The flags' range and format, checked by the route's own schema; a mistake names its flag. Checked before the store opens. */
export function exportRangeOf(flags: ExportFlags): { from: Date; to: Date; format: ExportFormat } {
  const parsed = eventsExportQuerySchema.safeParse({ from: flags.from, to: flags.to, ...(flags.format === undefined ? {} : { format: flags.format }) });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ExportUsageError(`--${String(issue.path[0] ?? 'from')}: ${issue.message}`);
}

/**
 * `uptake export`: the project's events in [from, to] as `GET /v1/events/export` streams them
 * (the same parameters, checked by the same schema, the same lines), to `--out` or stdout.
 * Returns the number of bytes written.
 */
export async function exportEventsCommand(db: Kysely<Database>, projectId: string, flags: ExportFlags, stdout: Writable): Promise<number> {
  const range = exportRangeOf(flags);
  let bytes = 0;
  const lines = eventExportLines(db, projectId, range);
  const counted = Readable.from(
    (async function* () {
      for await (const line of lines) {
        bytes += Buffer.byteLength(line);
        yield line;
      }
    })(),
    { objectMode: false },
  );
  if (flags.out !== undefined) await pipeline(counted, createWriteStream(flags.out));
  else {
    await pipeline(counted, stdout, { end: false });
    // A piped stdout writes asynchronously: wait until all of it is out before the process may exit.
    await new Promise<void>((resolve, reject) => stdout.write('', (error) => (error ? reject(error) : resolve())));
  }
  return bytes;
}
