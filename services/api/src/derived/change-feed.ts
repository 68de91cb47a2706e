import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/database.ts';
import type { ChangeTracker } from './change-tracker.ts';

const CHANNEL = 'uptake_data_changed';
// Postgres refuses a notification of 8000 bytes or more; a longer list of days becomes "every day".
const MAX_PAYLOAD_BYTES = 7800;

/** One project's figures of some UTC days changed (no `days`: of every day). */
export type ProjectChange = { projectId: string; days?: string[] };

/** What a transaction changed: some projects' figures, or every project's (a rebuild). */
export type DataChange = ProjectChange | { everyProject: true };

type Payload = { i: string; p?: string; d?: string[] };

/**
 * Tells the other instances sharing the database (and `uptake rebuild` tells the running ones)
 * what changed, so their cached figures recompute as soon as this transaction commits: Postgres
 * delivers a notification at the commit of the transaction that sent it, and never if it rolls
 * back. Call it inside that transaction. `from`: the tracker that marks these changes itself as
 * they commit (its own listener skips them).
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   // … store events …
 *   await announceChanges(trx, changeTracker, [{ projectId, days: ['2026-11-23'] }]);
 * });
 */
export async function announceChanges(trx: Kysely<Database>, from: ChangeTracker, changes: DataChange[]): Promise<void> {
  if (changes.length === 0) return;
  const payloads = changes.map((change) => {
    if ('everyProject' in change) return JSON.stringify({ i: from.id } satisfies Payload);
    const payload = JSON.stringify({ i: from.id, p: change.projectId, d: change.days } satisfies Payload);
    return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES ? payload : JSON.stringify({ i: from.id, p: change.projectId } satisfies Payload);
  });
  await sql`select pg_notify(${CHANNEL}, payload) from unnest(${payloads}::text[]) as payload`.execute(trx);
}

export type ChangeListener = { close(): Promise<void> };

/**
 * Listens on a connection of its own for the changes other instances announce and marks this
 * instance's figures of those projects and days stale (in `changeTracker`), so an event stored anywhere shows here
 * within the figure cache's staleness bound. Notifications sent while the connection is down are
 * lost: after a reconnection every figure is marked stale. Resolves after the first attempt to
 * listen (retried in the background if it failed).
 *
 * @example
 * const listener = await listenForChanges(config.database.url, changeTracker, app.log);
 * await listener.close();
 */
export async function listenForChanges(connectionString: string, changeTracker: ChangeTracker, log: { warn(object: object, message: string): void }): Promise<ChangeListener> {
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let retryMs = 250;
  let closed = false;
  let listenedBefore = false;

  const scheduleRetry = () => {
    if (closed) return;
    retry = setTimeout(() => void connect(), retryMs);
    retry.unref();
    retryMs = Math.min(retryMs * 2, 5000);
  };

  const connect = async () => {
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
    next.on('notification', (message) => receive(message.payload, changeTracker, log));
    // A lost connection emits 'error' (logged here) and then 'end' (which reconnects).
    next.on('error', (error) => log.warn({ err: error }, 'change feed connection lost'));
    next.on('end', () => {
      if (client !== next) return;
      client = undefined;
      scheduleRetry();
    });
    try {
      await next.connect();
      await next.query(`listen ${CHANNEL}`);
    } catch (error) {
      log.warn({ err: error }, 'change feed cannot listen; retrying');
      next.end().catch(() => {});
      scheduleRetry();
      return;
    }
    if (closed) return void (await next.end());
    client = next;
    retryMs = 250;
    if (listenedBefore) changeTracker.markAllProjectsChanged();
    listenedBefore = true;
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end();
    },
  };
}

function receive(text: string | undefined, changeTracker: ChangeTracker, log: { warn(object: object, message: string): void }): void {
  let payload: Payload;
  try {
    payload = JSON.parse(text ?? '');
  } catch {
    return log.warn({ payload: text }, 'change feed: notification is not JSON; ignored');
  }
  // This app's own changes were marked as they committed.
  if (payload.i === changeTracker.id) return;
  if (payload.p === undefined) changeTracker.markAllProjectsChanged();
  else changeTracker.markProjectChanged(payload.p, payload.d);
}
