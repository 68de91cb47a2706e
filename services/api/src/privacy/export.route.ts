import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorResponseSchema, eventsExportQuerySchema, userParamsSchema } from '@uptake/protocol';
import type { Auth } from '../auth/authenticate.ts';
import { secretKeyAuthenticator } from '../auth/secret-key.ts';
import type { Database } from '../db/database.ts';
import { userExists } from '../db/known-ids.ts';
import { HttpError } from '../http/errors.ts';
import { eventExportLines, ndjsonLines } from './event-lines.ts';
import { inSnapshot } from './snapshot.ts';
import { userExportRecords } from './user-export.ts';

const security = [{ secretKey: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };

export type ExportRoutesOptions = {
  db: Kysely<Database>;
  auth: Auth;
  /** Exports streaming at once in this app; more are a 429 (each holds a database connection until it ends). */
  maxConcurrent: number;
  /** An export whose client has taken nothing for this long (ms) is ended. */
  stallMs: number;
};

export const DEFAULT_EXPORT_STALL_MS = 30_000;

export const NDJSON = 'application/x-ndjson; charset=utf-8';
const CSV = 'text/csv; charset=utf-8';

/**
 * The export API (secret key, docs/privacy.md "Export"): `GET /v1/users/:userId/export`
 * (everything stored about one person, NDJSON) and `GET /v1/events/export` (a project's raw
 * events in a time range, NDJSON or CSV). Both stream from one snapshot with constant memory.
 */
export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app, { db, auth, maxConcurrent, stallMs }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', secretKeyAuthenticator(auth));
  const running = new Set<Readable>();
  // Closing the app waits for open responses: an export whose client stopped reading would hold it.
  app.addHook('preClose', async () => {
    for (const stream of running) stream.destroy();
  });
  /** Before an export starts: a 429 when every place is taken, as an export holds a connection (its snapshot) until it ends. */
  const checkSlot = () => {
    if (running.size >= maxConcurrent) throw new HttpError(429, 'export_busy', `${maxConcurrent} export(s) are already running on this instance; retry when one ends`, { headers: { 'retry-after': '5' } });
  };
  /**
   * Lines as a byte stream holding a place among the running exports: a line is read from the
   * database only when the socket has taken the ones before (16 KB buffered); a client that goes
   * away, or takes nothing for `stallMs` (its socket is then closed), ends the reading and frees
   * the place (docs/privacy.md). Typed `never` for `reply.send`: the route's declared answers are
   * its JSON errors, the 200 is this stream.
   */
  const lineStream = (reply: FastifyReply, lines: AsyncIterable<string>) => {
    const stream = Readable.from(lines, { objectMode: false });
    running.add(stream);
    // 'end' (everything read, the snapshot already released) comes before the response finishes, so
    // a client's next export never finds this one still counted; 'close' covers errors and disconnects.
    const release = () => running.delete(stream);
    stream.once('end', release).once('close', release);
    // The socket's idle time: nothing written (the client took nothing) and nothing read.
    reply.raw.setTimeout(stallMs, () => reply.raw.destroy());
    return stream as never;
  };

  typed.get('/v1/users/:userId/export', {
    schema: { summary: 'Everything stored about one user (NDJSON, one record per line with its kind)', tags: ['privacy'], security, params: userParamsSchema, response: { ...errors, 429: errorResponseSchema } },
    handler: async (request, reply) => {
      const { projectId } = request.project;
      const { userId } = request.params;
      if (!(await userExists(db, projectId, userId))) throw new HttpError(404, 'user_not_found', `no user "${userId}" in this project`);
      checkSlot();
      const records = inSnapshot(db, (trx) => userExportRecords(trx, projectId, userId));
      return reply
        .header('content-type', NDJSON)
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment; filename="user-export.ndjson"')
        .send(lineStream(reply, ndjsonLines(records)));
    },
  });

  typed.get('/v1/events/export', {
    schema: { summary: "The project's raw events in a time range (NDJSON or CSV)", tags: ['privacy'], security, querystring: eventsExportQuerySchema, response: { ...errors, 429: errorResponseSchema } },
    handler: async (request, reply) => {
      const { projectId } = request.project;
      const { from, to, format } = request.query;
      checkSlot();
      const lines = eventExportLines(db, projectId, { from, to, format });
      return reply
        .header('content-type', format === 'csv' ? CSV : NDJSON)
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="events.${format}"`)
        .send(lineStream(reply, lines));
    },
  });
};
