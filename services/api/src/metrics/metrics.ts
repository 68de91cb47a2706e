import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What each part of the service tells the metrics (docs/operations.md lists every metric and its
 * labels). The parts see only these small interfaces, never prom-client: they are handed the
 * object by `buildApp`, and record nothing when they are built without one (tests, the CLI).
 */

/** How a request to an ingestion route ended: 200, refused (4xx), storage unavailable (503) or failed (other 5xx). */
export type RequestOutcome = 'accepted' | 'refused' | 'unavailable' | 'failed';

export type IngestionMetrics = {
  /** One request answered; `reason` is the answer's `error` code (`ok` for a 200); `seconds` from received to answered. */
  request(outcome: RequestOutcome, reason: string, seconds: number): void;
  /** Events of answered batches: accepted, duplicates, and rejected ones by reason. */
  events(outcome: 'accepted' | 'duplicate', count: number): void;
  rejected(reason: string, count: number): void;
};

/** The group commit (ingestion/batch-writer.ts). */
export type GroupCommitMetrics = {
  /** What waits for a transaction now: requests and their events. */
  queued(requests: number, events: number): void;
  /** One transaction ended (committed or failed): the requests and events it held, its duration. */
  committed(requests: number, events: number, seconds: number, ok: boolean): void;
};

/** One figure cache (query/figure-cache.ts); `figure` is the kind of figure (its key's first part). */
export type FigureMetrics = {
  /** A computation ended, from its start (a day part's includes its wait for a turn). */
  computed(figure: string, seconds: number, ok: boolean): void;
  /**
   * A figure was asked for: `fresh` served from the cache with its data unchanged, `stale` served
   * although its data changed (within the staleness allowance; `ageSeconds` since its computation
   * started), `computed` the reader waited for a computation.
   */
  looked(figure: string, result: 'fresh' | 'stale' | 'computed', ageSeconds: number): void;
  /** A computed figure was dropped to keep the cache within its bound (computed again when next asked). */
  dropped(figure: string): void;
  /** Reads the cache's estimated bytes at each scrape. */
  sizeFrom(read: () => number): void;
};

export type WidgetMetrics = {
  npsDecision(reason: string): void;
  progressAnswered(): void;
};

/** Which limit of docs/security.md refused a request (429). */
export type RateLimitName = 'ingestion' | 'widgets' | 'query' | 'auth_failures';

export type RateLimitMetrics = { refused(limit: RateLimitName): void };

export type WebhookAttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

export type WebhookMetrics = {
  /** One attempt recorded; `seconds` the receiver took. */
  attempt(outcome: WebhookAttemptOutcome, seconds: number): void;
  /** A delivery succeeded, `seconds` after its message was enqueued (retries included). */
  delivered(seconds: number): void;
};

/** The pending deliveries of enabled endpoints, read at each scrape. */
export type WebhookBacklog = { due: number; scheduled: number; oldestDueSeconds: number };

/** What a node-postgres pool says of itself (PGlite's is a pool of one). */
export type PoolState = { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number | undefined } };

export type Metrics = {
  /** This app's instruments only. */
  registry: Registry;
  /** What a scrape answers: this app's instruments and the process's (CPU, memory, event loop, GC). */
  scrapeRegistry(): Registry;
  ingestion: IngestionMetrics;
  groupCommit: GroupCommitMetrics;
  widgets: WidgetMetrics;
  rateLimits: RateLimitMetrics;
  webhooks: WebhookMetrics;
  /** The metrics of one figure cache, labelled `cache` (`query`: the app's one cache). */
  figures(cache: string): FigureMetrics;
  /** Reads the database pool at each scrape. */
  poolFrom(database: 'postgres' | 'pglite', pool: PoolState): void;
  /** Reads the webhook backlog at each scrape (a query: a failure leaves the gauges unset for that scrape). */
  webhookBacklogFrom(read: () => Promise<WebhookBacklog>): void;
};

let processRegistry: Registry | undefined;

/**
 * The process's own metrics (prom-client's defaults, prefixed `uptake_`), made once per process:
 * they describe the process, not an app, and each set starts an event-loop monitor and a GC
 * observer that live as long as the process. Not prom-client's global registry.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'uptake_' });
  }
  return processRegistry;
}

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const SECONDS_LAG = [0.1, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86_400];

/**
 * The registry of one app and its named instruments. Each app has its own (two apps in one
 * process share nothing); nothing is registered in prom-client's global registry. A scrape adds
 * the process's metrics (`scrapeRegistry`).
 *
 * @example
 * const metrics = createMetrics();
 * metrics.ingestion.request('accepted', 'ok', 0.012);
 * await metrics.scrapeRegistry().metrics(); // the text a Prometheus scrape gets
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const requests = new Counter({ name: 'uptake_ingestion_requests_total', help: 'Ingestion requests answered, by outcome and reason (the answer\'s error code; ok for 200)', labelNames: ['outcome', 'reason'], registers });
  const events = new Counter({ name: 'uptake_ingestion_events_total', help: 'Events in answered ingestion requests, by outcome (accepted, duplicate, rejected) and rejection reason', labelNames: ['outcome', 'reason'], registers });
  const ack = new Histogram({ name: 'uptake_ingestion_ack_seconds', help: 'Ingestion request received to 200 sent (the events are committed)', buckets: SECONDS_FAST, registers });
  const queueRequests = new Gauge({ name: 'uptake_ingestion_queue_requests', help: 'Ingestion requests waiting for a group-commit transaction', registers });
  const queueEvents = new Gauge({ name: 'uptake_ingestion_queue_events', help: 'Events of the requests waiting for a group-commit transaction', registers });
  const commitEvents = new Histogram({ name: 'uptake_ingestion_commit_events', help: 'Events (and warnings) per group-commit transaction', buckets: [1, 10, 50, 100, 250, 500, 750, 1000], registers });
  const commitRequests = new Histogram({ name: 'uptake_ingestion_commit_requests', help: 'Requests per group-commit transaction', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
  const commitSeconds = new Histogram({ name: 'uptake_ingestion_commit_seconds', help: 'Duration of a group-commit transaction, by outcome', labelNames: ['outcome'], buckets: SECONDS_FAST, registers });

  const figureSeconds = new Histogram({ name: 'uptake_figure_compute_seconds', help: 'Time computing a figure, by cache, figure and outcome', labelNames: ['cache', 'figure', 'outcome'], buckets: SECONDS_SLOW, registers });
  const figureLookups = new Counter({ name: 'uptake_figure_lookups_total', help: 'Figures asked for, by cache, figure and result (fresh, stale, computed)', labelNames: ['cache', 'figure', 'result'], registers });
  const figureStaleAge = new Histogram({ name: 'uptake_figure_stale_age_seconds', help: 'How long before the answer the data of figures served stale first changed (within UPTAKE_FIGURE_MAX_STALENESS_MS)', labelNames: ['cache'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5], registers });
  const figuresDropped = new Counter({ name: 'uptake_figure_cache_dropped_total', help: 'Computed figures dropped to keep a figure cache within UPTAKE_FIGURE_CACHE_MB, by cache and figure', labelNames: ['cache', 'figure'], registers });
  const cacheSizes = new Map<string, () => number>();
  new Gauge({
    name: 'uptake_figure_cache_bytes',
    help: 'Estimated bytes held by a figure cache (bounded by UPTAKE_FIGURE_CACHE_MB)',
    labelNames: ['cache'],
    registers,
    collect() {
      for (const [cache, read] of cacheSizes) this.set({ cache }, read());
    },
  });

  const npsDecisions = new Counter({ name: 'uptake_widget_nps_decisions_total', help: 'NPS prompt decisions, by reason (eligible when shown, else the first rule that failed)', labelNames: ['reason'], registers });
  const progressAnswers = new Counter({ name: 'uptake_widget_progress_answers_total', help: 'Progress widget answers', registers });
  const rateLimitRefusals = new Counter({ name: 'uptake_rate_limit_refusals_total', help: 'Requests refused with 429, by the limit that refused them', labelNames: ['limit'], registers });

  const webhookAttempts = new Counter({ name: 'uptake_webhook_attempts_total', help: 'Webhook delivery attempts, by outcome (delivered, retry, failed, gone)', labelNames: ['outcome'], registers });
  const webhookAttemptSeconds = new Histogram({ name: 'uptake_webhook_attempt_seconds', help: 'Time a receiver took to answer an attempt', buckets: SECONDS_FAST.concat([15, 30]), registers });
  const webhookLag = new Histogram({ name: 'uptake_webhook_delivery_lag_seconds', help: 'Message enqueued to delivered (retries included)', buckets: SECONDS_LAG, registers });
  let readBacklog: (() => Promise<WebhookBacklog>) | undefined;
  let backlog: Promise<WebhookBacklog | undefined> | undefined;
  // The three gauges read one query per scrape, whichever collects first.
  const backlogOfScrape = () => {
    if (!readBacklog) return Promise.resolve(undefined);
    backlog ??= readBacklog().then(
      (value) => value,
      () => undefined,
    );
    const pending = backlog;
    void pending.finally(() => {
      if (backlog === pending) backlog = undefined;
    });
    return pending;
  };
  new Gauge({
    name: 'uptake_webhook_backlog',
    help: 'Pending deliveries of enabled endpoints: due now, or scheduled for a retry',
    labelNames: ['state'],
    registers,
    async collect() {
      const read = await backlogOfScrape();
      this.reset();
      if (read) {
        this.set({ state: 'due' }, read.due);
        this.set({ state: 'scheduled' }, read.scheduled);
      }
    },
  });
  new Gauge({
    name: 'uptake_webhook_oldest_due_seconds',
    help: 'How long the oldest due delivery has been due (0: none)',
    registers,
    async collect() {
      const read = await backlogOfScrape();
      this.reset();
      if (read) this.set(read.oldestDueSeconds);
    },
  });

  let pool: { database: string; state: PoolState } | undefined;
  new Gauge({
    name: 'uptake_db_pool_connections',
    help: 'Database connections of the pool, by state (busy, idle)',
    labelNames: ['state'],
    registers,
    collect() {
      if (!pool) return;
      this.set({ state: 'busy' }, pool.state.totalCount - pool.state.idleCount);
      this.set({ state: 'idle' }, pool.state.idleCount);
    },
  });
  new Gauge({
    name: 'uptake_db_pool_waiting',
    help: 'Queries waiting for a database connection',
    registers,
    collect() {
      if (pool) this.set(pool.state.waitingCount);
    },
  });
  new Gauge({
    name: 'uptake_db_pool_max',
    help: 'Connections the pool may open (DATABASE_POOL_SIZE; PGlite: 1), by database kind',
    labelNames: ['database'],
    registers,
    collect() {
      if (pool) this.set({ database: pool.database }, pool.state.options.max ?? 10);
    },
  });

  return {
    registry,
    scrapeRegistry: () => Registry.merge([registry, processMetrics()]),
    ingestion: {
      request(outcome, reason, seconds) {
        requests.inc({ outcome, reason });
        if (outcome === 'accepted') ack.observe(seconds);
      },
      events(outcome, count) {
        if (count > 0) events.inc({ outcome, reason: '' }, count);
      },
      rejected(reason, count) {
        if (count > 0) events.inc({ outcome: 'rejected', reason }, count);
      },
    },
    groupCommit: {
      queued(requestCount, eventCount) {
        queueRequests.set(requestCount);
        queueEvents.set(eventCount);
      },
      committed(requestCount, eventCount, seconds, ok) {
        commitRequests.observe(requestCount);
        commitEvents.observe(eventCount);
        commitSeconds.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
      },
    },
    figures(cache) {
      return {
        computed: (figure, seconds, ok) => figureSeconds.observe({ cache, figure, outcome: ok ? 'ok' : 'error' }, seconds),
        looked(figure, result, ageSeconds) {
          figureLookups.inc({ cache, figure, result });
          if (result === 'stale') figureStaleAge.observe({ cache }, ageSeconds);
        },
        dropped: (figure) => figuresDropped.inc({ cache, figure }),
        sizeFrom: (read) => void cacheSizes.set(cache, read),
      };
    },
    widgets: {
      npsDecision: (reason) => npsDecisions.inc({ reason }),
      progressAnswered: () => progressAnswers.inc(),
    },
    rateLimits: { refused: (limit) => rateLimitRefusals.inc({ limit }) },
    webhooks: {
      attempt(outcome, seconds) {
        webhookAttempts.inc({ outcome });
        webhookAttemptSeconds.observe(seconds);
      },
      delivered: (seconds) => webhookLag.observe(Math.max(0, seconds)),
    },
    poolFrom(database, state) {
      pool = { database, state };
    },
    webhookBacklogFrom(read) {
      readBacklog = read;
    },
  };
}
