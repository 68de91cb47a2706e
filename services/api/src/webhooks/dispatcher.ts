import { sql, type Kysely, type UpdateObject } from 'kysely';
import { acrossProjects } from '../db/across-projects.ts';
import type { Database } from '../db/database.ts';
import type { WebhookAttemptOutcome, WebhookMetrics } from '../metrics/metrics.ts';
import { nextRetryDelayMs, retryAfterMs } from './retry-schedule.ts';
import { sendAttempt, type AttemptResult } from './send-attempt.ts';
import type { WebhookSettings } from './settings.ts';
import { signedHeaders } from './signature.ts';
import { slackMessage, type StoredPayload } from './slack-message.ts';

/** Deliveries claimed per round at most. */
const BATCH = 32;
/**
 * Attempts in flight at once per app. Each is sent as soon as it is claimed and the next round
 * does not wait for it, so a receiver that takes its 15 s does not hold up the others.
 */
const MAX_IN_FLIGHT = 128;

/** Errors kept per attempt: a line for the log, not the receiver's whole answer. */
const MAX_ERROR_LENGTH = 500;

type Logger = { warn(object: object, message: string): void; info(object: object, message: string): void };

type Claimed = {
  project_id: string;
  endpoint_id: string;
  message_id: string;
  payload: unknown;
  attempts: number;
  claimed_until: Date;
  created_at: Date;
};

type Endpoint = {
  project_id: string;
  endpoint_id: string;
  url: string;
  format: 'standard' | 'slack';
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
};

export type Dispatcher = {
  /** Look for due deliveries now rather than at the next poll (after a test send or a redelivery). */
  nudge(): void;
  /** One round: claims due deliveries and starts sending them; answers how many were claimed. */
  runOnce(): Promise<number>;
  start(): void;
  /** Stops polling; attempts in flight are abandoned and their claims released (sent again later). */
  close(): Promise<void>;
};

/**
 * The dispatcher of one app (docs/webhooks.md). Due deliveries are claimed with `FOR UPDATE SKIP
 * LOCKED` and a lease (`claimed_until`), so dispatchers of several instances on one Postgres never
 * send the same delivery at once, and one whose process died is taken up again when its lease
 * ends. The lease outlasts an attempt's timeout, and a result is only recorded by the claim that
 * made it.
 */
export function createDispatcher(db: Kysely<Database>, settings: WebhookSettings, log: Logger, metrics?: WebhookMetrics): Dispatcher {
  const leaseMs = settings.timeoutMs + 5_000;
  const closing = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  let again = false;
  let started = false;

  const schedule = (delayMs: number) => {
    clearTimeout(timer);
    if (!closing.signal.aborted && started) timer = setTimeout(tick, delayMs).unref();
  };

  function tick(): void {
    if (round) {
      again = true;
      return;
    }
    round = (async () => {
      try {
        do {
          again = false;
          // A full batch means more may be due: go on without waiting for the next poll.
          const capacity = Math.min(BATCH, MAX_IN_FLIGHT - inFlight.size);
          if (capacity > 0 && (await runOnce()) === capacity) again = true;
        } while (again && !closing.signal.aborted);
      } catch (error) {
        log.warn({ err: error }, 'webhook dispatch round failed; retrying at the next poll');
      } finally {
        round = undefined;
        schedule(settings.pollMs);
      }
    })();
  }

  /**
   * Claims up to `limit` due deliveries. The projects with some due are found first (the only
   * read across projects); each project's are then claimed inside it, because `FOR UPDATE SKIP
   * LOCKED` works inside one shard on Citus (docs/scale-out.md).
   */
  async function claim(limit: number): Promise<Claimed[]> {
    const projects = await acrossProjects(db, (trx) =>
      sql<{ project_id: string }>`
        select d.project_id from webhook_deliveries d
        join webhook_endpoints e on e.project_id = d.project_id and e.endpoint_id = d.endpoint_id
        where d.status = 'pending' and d.next_attempt_at <= now() and e.enabled and (d.claimed_until is null or d.claimed_until < now())
        group by d.project_id order by min(d.next_attempt_at) limit ${limit}`.execute(trx),
    );
    const claimed: Claimed[] = [];
    for (const { project_id: projectId } of projects.rows) {
      if (claimed.length >= limit) break;
      claimed.push(...(await claimInProject(projectId, limit - claimed.length)));
    }
    return claimed;
  }

  async function claimInProject(projectId: string, limit: number): Promise<Claimed[]> {
    const result = await sql<Claimed>`
      with due as (
        select d.project_id, d.endpoint_id, d.message_id
        from webhook_deliveries d
        join webhook_endpoints e on e.project_id = d.project_id and e.endpoint_id = d.endpoint_id
        where d.project_id = ${projectId} and d.status = 'pending' and d.next_attempt_at <= now() and e.enabled
          and (d.claimed_until is null or d.claimed_until < now())
        order by d.next_attempt_at
        limit ${limit}
        for update of d skip locked
      )
      update webhook_deliveries w
      set claimed_until = date_trunc('milliseconds', now() + ${leaseMs} * interval '1 millisecond')
      from due
      where w.project_id = ${projectId} and w.project_id = due.project_id and w.endpoint_id = due.endpoint_id and w.message_id = due.message_id
      returning w.project_id, w.endpoint_id, w.message_id, w.payload, w.attempts, w.claimed_until, w.created_at`.execute(db);
    return result.rows;
  }

  /** The endpoints of the claimed deliveries, read project by project (each read inside one shard on Citus). */
  async function endpointsOf(claimed: Claimed[]): Promise<Map<string, Endpoint>> {
    const endpointIds = new Map<string, Set<string>>();
    for (const row of claimed) endpointIds.set(row.project_id, (endpointIds.get(row.project_id) ?? new Set()).add(row.endpoint_id));
    const found = new Map<string, Endpoint>();
    for (const [projectId, ids] of endpointIds) {
      const rows = await db
        .selectFrom('webhook_endpoints')
        .select(['project_id', 'endpoint_id', 'url', 'format', 'secret', 'previous_secret', 'previous_secret_expires_at'])
        .where('project_id', '=', projectId)
        .where('endpoint_id', 'in', [...ids])
        .execute();
      for (const row of rows) found.set(`${row.project_id}\u0000${row.endpoint_id}`, row);
    }
    return found;
  }

  async function runOnce(): Promise<number> {
    const capacity = Math.min(BATCH, MAX_IN_FLIGHT - inFlight.size);
    if (capacity <= 0) return 0;
    const claimed = await claim(capacity);
    if (claimed.length === 0) return 0;
    const endpoints = await endpointsOf(claimed);
    for (const delivery of claimed) {
      const endpoint = endpoints.get(`${delivery.project_id}\u0000${delivery.endpoint_id}`);
      // Deleted between the claim and now: its deliveries went with it.
      if (!endpoint) continue;
      const attempt = deliver(delivery, endpoint)
        .catch((error: unknown) => log.warn({ err: error, messageId: delivery.message_id }, 'webhook delivery could not be recorded; it is sent again when its claim ends'))
        .finally(() => {
          inFlight.delete(attempt);
          // Room for a whole batch again after a full house: look for what waited rather than for
          // the next poll (one claim per batch, not one per finished attempt).
          if (inFlight.size === MAX_IN_FLIGHT - BATCH) schedule(0);
        });
      inFlight.add(attempt);
    }
    return claimed.length;
  }

  async function deliver(delivery: Claimed, endpoint: Endpoint): Promise<void> {
    const payload = (typeof delivery.payload === 'string' ? JSON.parse(delivery.payload) : delivery.payload) as StoredPayload;
    const body = JSON.stringify(endpoint.format === 'slack' ? slackMessage(payload, settings.publicUrl) : payload);
    const now = new Date();
    const secrets = [endpoint.secret];
    if (endpoint.previous_secret && endpoint.previous_secret_expires_at && new Date(endpoint.previous_secret_expires_at) > now) secrets.push(endpoint.previous_secret);
    const headers = signedHeaders(secrets, delivery.message_id, now, body);
    const result = await sendAttempt(endpoint.url, headers, body, { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivate, signal: closing.signal });
    if (closing.signal.aborted && result.statusCode === undefined) {
      // Shutting down mid-attempt: not the receiver's failure. Another round sends it.
      await updateOwn(db, delivery, { claimed_until: null });
      return;
    }
    await record(delivery, endpoint, result);
  }

  /** Only the claim that sent it may record the outcome (the lease may have passed to another dispatcher). */
  const updateOwn = (executor: Kysely<Database>, delivery: Claimed, values: UpdateObject<Database, 'webhook_deliveries'>) =>
    executor
      .updateTable('webhook_deliveries')
      .set(values)
      .where('project_id', '=', delivery.project_id)
      .where('endpoint_id', '=', delivery.endpoint_id)
      .where('message_id', '=', delivery.message_id)
      .where('claimed_until', '=', delivery.claimed_until)
      .execute();

  async function record(delivery: Claimed, endpoint: Endpoint, result: AttemptResult): Promise<void> {
    const outcome = await recordOutcome(delivery, endpoint, result);
    metrics?.attempt(outcome, result.latencyMs / 1000);
    if (outcome === 'delivered') metrics?.delivered((Date.now() - new Date(delivery.created_at).getTime()) / 1000);
  }

  async function recordOutcome(delivery: Claimed, endpoint: Endpoint, result: AttemptResult): Promise<WebhookAttemptOutcome> {
    const attempts = delivery.attempts + 1;
    const status = result.statusCode;
    const outcome = {
      attempts,
      last_attempt_at: sql<Date>`now()`,
      last_status_code: status ?? null,
      last_latency_ms: result.latencyMs,
      last_error: result.error?.slice(0, MAX_ERROR_LENGTH) ?? (status !== undefined && (status < 200 || status > 299) ? `HTTP ${status}` : null),
      claimed_until: null,
    };
    const endpointKey = (eb: Kysely<Database>) =>
      eb.updateTable('webhook_endpoints').where('project_id', '=', endpoint.project_id).where('endpoint_id', '=', endpoint.endpoint_id);

    if (status !== undefined && status >= 200 && status <= 299) {
      await db.transaction().execute(async (trx) => {
        await updateOwn(trx, delivery, { ...outcome, status: 'delivered', delivered_at: sql<Date>`now()` });
        await endpointKey(trx).set({ failing_since: null }).where('failing_since', 'is not', null).execute();
      });
      return 'delivered';
    }
    if (status === 410) {
      await db.transaction().execute(async (trx) => {
        await updateOwn(trx, delivery, { ...outcome, status: 'failed', last_error: 'HTTP 410 Gone: the endpoint was disabled' });
        await endpointKey(trx)
          .set({ enabled: false, disabled_at: sql<Date>`now()`, disabled_reason: `the receiver answered 410 Gone at ${new Date().toISOString()} (it asked for no more deliveries)`, updated_at: sql<Date>`now()` })
          .where('enabled', '=', true)
          .execute();
      });
      log.info({ endpointId: endpoint.endpoint_id }, 'webhook endpoint answered 410 Gone: disabled');
      return 'gone';
    }
    const delayMs = nextRetryDelayMs(attempts, { scale: settings.retryScale, retryAfterMs: retryAfterMs(result.retryAfter, new Date()), random: Math.random });
    await db.transaction().execute(async (trx) => {
      await updateOwn(trx, delivery, delayMs === undefined ? { ...outcome, status: 'failed' } : { ...outcome, next_attempt_at: sql<Date>`now() + ${delayMs} * interval '1 millisecond'` });
      // The transaction's time read first and written as a value: Citus refuses now() inside
      // coalesce in an UPDATE of a distributed table (docs/scale-out.md).
      const { rows: [clock] } = await sql<{ now: Date }>`select now() as now`.execute(trx);
      const failing = await endpointKey(trx)
        .set({ failing_since: sql<Date>`coalesce(failing_since, ${clock!.now})` })
        .returning(['failing_since', 'enabled'])
        .executeTakeFirst();
      const since = failing?.failing_since ? new Date(failing.failing_since) : undefined;
      if (failing?.enabled && since && Date.now() - since.getTime() >= settings.disableAfterDays * 86_400_000) {
        await endpointKey(trx)
          .set({
            enabled: false,
            disabled_at: sql<Date>`now()`,
            disabled_reason: `every delivery failed for ${settings.disableAfterDays} days (since ${since.toISOString()}; last: ${outcome.last_error ?? 'no answer'})`,
            updated_at: sql<Date>`now()`,
          })
          .execute();
        log.info({ endpointId: endpoint.endpoint_id }, 'webhook endpoint failing for days: disabled');
      }
    });
    return delayMs === undefined ? 'failed' : 'retry';
  }

  return {
    nudge: () => {
      if (started && !closing.signal.aborted) schedule(0);
    },
    runOnce,
    start: () => {
      started = true;
      schedule(0);
    },
    close: async () => {
      closing.abort();
      clearTimeout(timer);
      await round;
      await Promise.all(inFlight);
    },
  };
}
