import { z } from 'zod';
import { DEFAULT_MAX_EVENT_NAMES } from './ingestion/event-names.ts';
import { DEFAULT_FIGURE_CACHE_BYTES } from './query/figure-cache.ts';
import { DEFAULT_RETENTION_BATCH } from './privacy/expire-events.ts';
import { DEFAULT_EXPORT_STALL_MS } from './privacy/export.route.ts';
import type { RetentionSettings } from './privacy/retention-worker.ts';
import { DEFAULT_SCORE_POINTS_SETTINGS, type ScorePointsSettings } from './derived/score-points-worker.ts';
import { DEFAULT_DELETION_SETTINGS, type DeletionSettings } from './privacy/deletion-worker.ts';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './webhooks/settings.ts';

export type DatabaseConfig =
  /**
   * `queryTimeoutMs`: a query without an answer by then fails (0: no limit, for long maintenance).
   * Postgres only: PGlite cannot interrupt a running statement (db/connect.ts, docs/security.md).
   */
  | { kind: 'postgres'; url: string; poolSize: number; queryTimeoutMs: number }
  /** `dataDir` is a folder (PGlite files live in `<dataDir>/pglite`) or `memory://` for tests. */
  | { kind: 'pglite'; dataDir: string };

export type Config = Readonly<{
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database: DatabaseConfig;
  /**
   * Ingestion requests per second allowed per project (all its live write keys; token bucket),
   * and the burst; 0 turns the limit off. Each limit below is the same kind (docs/security.md).
   */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Query API requests (and project, widget settings) per second per project (secret key); absent or 0: off. */
  queryRateLimitPerSecond?: number;
  queryRateLimitBurst?: number;
  /** Widget reads per second per project (write key); absent or 0: off. */
  widgetRateLimitPerSecond?: number;
  widgetRateLimitBurst?: number;
  /**
   * Failed authentications (401s) per second per client address once the burst is spent; the
   * address then gets 429 for unknown keys. Absent or 0: off.
   */
  authFailuresPerSecond?: number;
  authFailureBurst?: number;
  /** How long a found key is trusted (ms): a key or setting changed on another instance shows within it. Default 30 s. */
  keyCacheTtlMs?: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (failed-auth throttling):
   * absent/false = none (the socket's peer), true = any, a number = that many hops, or a list of
   * addresses/CIDRs (Fastify's trustProxy).
   */
  trustProxy?: boolean | number | string;
  /**
   * How old a cached figure may be when served (ms); within it, figures are refreshed in the
   * background as events arrive. Bounds how long an acknowledged event can be missing from an
   * answer (the query API promises 5 s).
   */
  figureMaxStalenessMs: number;
  /** Seconds a client is told to wait when storage is unavailable. */
  retryAfterSeconds: number;
  /**
   * Serve the example pages (`/examples/…`, rendered for the demo project with a demo user's
   * userHash). On under `uptake start`; off under `uptake serve` unless `--examples` or
   * `UPTAKE_EXAMPLES=1`. Absent means off.
   */
  examples?: boolean;
  /**
   * Compute every project's headline figures (today's scores, the 90-day activity series, the
   * segment facts) in the background at start and on each new UTC day, so first reads do not
   * wait. On under `serve` and `start` unless `UPTAKE_WARM_FIGURES=0`; absent means off.
   */
  warmFigures?: boolean;
  /**
   * `/readyz` answers `503 warming_up` until the start's warm-up (`warmFigures`) has finished (or
   * failed), so a load balancer sends a new instance no traffic, ingestion included, before its
   * figures are ready: for deploys with more than one instance (`UPTAKE_READY_WHEN_WARM=1`; absent
   * means off, and `/readyz` only checks the database).
   */
  readyWhenWarm?: boolean;
  /**
   * Distinct track event names a project may have (`UPTAKE_MAX_EVENT_NAMES`, default 2000): events
   * with a new name past it are refused (`rejected`, path `event`); known names keep working.
   */
  maxEventNamesPerProject?: number;
  /**
   * Estimated bytes the computed figures kept in memory may take (`UPTAKE_FIGURE_CACHE_MB`, default
   * 1 GB); past it the least recently used figures are dropped and recomputed when next asked.
   */
  figureCacheMaxBytes?: number;
  /**
   * Webhook delivery (docs/webhooks.md): the dispatcher (`UPTAKE_WEBHOOK_DISPATCHER`, default on),
   * its poll interval (`UPTAKE_WEBHOOK_POLL_MS`, 500), the attempt timeout (`UPTAKE_WEBHOOK_TIMEOUT_MS`,
   * 15000), private targets (`UPTAKE_WEBHOOK_ALLOW_PRIVATE`, off), the retry schedule's scale
   * (`UPTAKE_WEBHOOK_RETRY_SCALE`, 1), days of failure before an endpoint is disabled
   * (`UPTAKE_WEBHOOK_DISABLE_AFTER_DAYS`, 5) and the dashboard's address for links
   * (`UPTAKE_PUBLIC_URL`, http://HOST:PORT). Absent (tests): nothing is dispatched.
   */
  webhooks?: Partial<WebhookSettings>;
  /**
   * Deletions (docs/privacy.md): the worker (`UPTAKE_DELETION_WORKER`, default on), rows per
   * transaction (`UPTAKE_DELETION_BATCH_ROWS`, 5000), the lease after which another worker takes
   * over a crashed one's deletion (`UPTAKE_DELETION_LEASE_MS`, 30000), the poll for unfinished
   * deletions (`UPTAKE_DELETION_POLL_MS`, 10000), how long a DELETE waits before answering 202
   * (`UPTAKE_DELETION_WAIT_MS`, 5000); `UPTAKE_DELETION_STOP_AFTER_BATCHES` is for crash tests
   * only. Absent: the defaults (the worker runs).
   */
  deletions?: Partial<DeletionSettings & { waitMs: number }>;
  /**
   * Record segment entries and exits (docs/plays.md): the segment watcher checks projects whose
   * figures changed and, at each UTC day change, every project. On unless `UPTAKE_SEGMENT_WATCH=0`
   * (every command that serves); absent means off (tests turn it on where they want it).
   */
  segmentWatch?: boolean;
  /** How often (ms) the watcher looks for projects whose figures changed (`UPTAKE_SEGMENT_WATCH_POLL_MS`, default 500). */
  segmentWatchPollMs?: number;
  /**
   * Retention of raw events (docs/privacy.md, "Retention"): the worker deleting what each
   * project's `retentionDays` expires (`UPTAKE_RETENTION`, default on; it runs at start and then
   * hourly) and its batch size (`UPTAKE_RETENTION_BATCH`, 5000 rows per transaction). Absent
   * (tests): nothing expires unless `run` is set.
   */
  retention?: Partial<RetentionSettings>;
  /**
   * The score-points worker (docs/architecture.md, "Scores at scale"): folds the days ingestion
   * queued into the kept points every `intervalMs` (`UPTAKE_SCORE_POINTS_POLL_MS`, default 500)
   * and fills the points of every active or shadow score model version that has none yet
   * (`UPTAKE_SCORE_POINTS`, default on, also in tests).
   */
  scorePoints?: Partial<ScorePointsSettings>;
  /**
   * Store client IP addresses (`UPTAKE_STORE_IP`, default off): when off, `context.ip` is removed
   * from every event and ingestion warning before it is stored (docs/privacy.md).
   */
  storeIp?: boolean;
  /**
   * The bearer token `GET /metrics` needs from clients not on this machine (`UPTAKE_METRICS_TOKEN`,
   * 16 to 256 printable characters); unset: metrics are answered to direct loopback clients only
   * (docs/operations.md).
   */
  metricsToken?: string | undefined;
  /**
   * An export whose client has taken nothing for this long is ended, freeing its slot and its
   * database connection (`UPTAKE_EXPORT_STALL_SECONDS`, default 30; docs/privacy.md). Absent: 30 s.
   */
  exportStallMs?: number;
}>;

const flag = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .enum(['1', '0', 'true', 'false'], { error: 'must be 1, 0, true or false' })
    .transform((value) => value === '1' || value === 'true')
    .optional(),
);

const envSchema = z.object({
  // An empty variable (`DATABASE_URL=`) means unset, as in most tools.
  DATABASE_URL: z.preprocess((value) => (value === '' ? undefined : value), z.url().optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  UPTAKE_DATA_DIR: z.string().min(1).default('.uptake'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  UPTAKE_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(1000),
  UPTAKE_RATE_LIMIT_BURST: z.coerce.number().min(1).default(2000),
  // A dashboard page asks a dozen figures at once; scripts page through members.
  UPTAKE_QUERY_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(50),
  UPTAKE_QUERY_RATE_LIMIT_BURST: z.coerce.number().min(1).default(200),
  // Widgets are read on page loads of every signed-in user of a customer's product.
  UPTAKE_WIDGET_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(200),
  UPTAKE_WIDGET_RATE_LIMIT_BURST: z.coerce.number().min(1).default(1000),
  // 20 wrong keys from one address, then one every 5 s: enough for a typo, not for guessing.
  UPTAKE_AUTH_FAILURES_PER_SECOND: z.coerce.number().min(0).default(0.2),
  UPTAKE_AUTH_FAILURE_BURST: z.coerce.number().min(1).default(20),
  UPTAKE_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  // Unset: the socket's peer is the client. `true`, a hop count, or proxy addresses/CIDRs (a,b).
  UPTAKE_TRUST_PROXY: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value))
      .optional(),
  ),
  UPTAKE_FIGURE_MAX_STALENESS_MS: z.coerce.number().int().min(0).max(5000).default(4000),
  // Unset (or empty): the command decides (`start` on, `serve` off).
  UPTAKE_EXAMPLES: flag,
  // Unset (or empty): on for `serve` and `start`.
  UPTAKE_WARM_FIGURES: flag,
  UPTAKE_READY_WHEN_WARM: flag,
  UPTAKE_MAX_EVENT_NAMES: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_EVENT_NAMES),
  UPTAKE_FIGURE_CACHE_MB: z.coerce.number().min(1).max(1_000_000).default(DEFAULT_FIGURE_CACHE_BYTES / 2 ** 20),
  UPTAKE_WEBHOOK_DISPATCHER: flag,
  UPTAKE_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(DEFAULT_WEBHOOK_SETTINGS.pollMs),
  UPTAKE_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_WEBHOOK_SETTINGS.timeoutMs),
  UPTAKE_WEBHOOK_ALLOW_PRIVATE: flag,
  UPTAKE_WEBHOOK_RETRY_SCALE: z.coerce.number().min(0).max(100).default(DEFAULT_WEBHOOK_SETTINGS.retryScale),
  UPTAKE_WEBHOOK_DISABLE_AFTER_DAYS: z.coerce.number().min(0.0001).max(365).default(DEFAULT_WEBHOOK_SETTINGS.disableAfterDays),
  UPTAKE_RETENTION: flag,
  UPTAKE_RETENTION_BATCH: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_RETENTION_BATCH),
  UPTAKE_STORE_IP: flag,
  UPTAKE_SCORE_POINTS: flag,
  UPTAKE_SCORE_POINTS_POLL_MS: z.coerce.number().int().min(10).max(3_600_000).default(DEFAULT_SCORE_POINTS_SETTINGS.intervalMs),
  UPTAKE_DELETION_WORKER: flag,
  UPTAKE_DELETION_BATCH_ROWS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_DELETION_SETTINGS.batchRows),
  UPTAKE_DELETION_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(DEFAULT_DELETION_SETTINGS.leaseMs),
  UPTAKE_DELETION_POLL_MS: z.coerce.number().int().min(10).max(3_600_000).default(DEFAULT_DELETION_SETTINGS.pollMs),
  UPTAKE_DELETION_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  UPTAKE_DELETION_STOP_AFTER_BATCHES: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int().min(1).optional()),
  UPTAKE_PUBLIC_URL: z.preprocess((value) => (value === '' ? undefined : value), z.url({ protocol: /^https?$/ }).optional()),
  // Unset (or empty): on.
  UPTAKE_SEGMENT_WATCH: flag,
  UPTAKE_SEGMENT_WATCH_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  UPTAKE_EXPORT_STALL_SECONDS: z.coerce.number().min(1).max(3600).default(DEFAULT_EXPORT_STALL_MS / 1000),
  // A header value with no spaces; long enough that guessing it is hopeless (openssl rand -hex 32).
  UPTAKE_METRICS_TOKEN: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, { error: 'must be 16 to 256 printable ASCII characters without spaces (e.g. openssl rand -hex 32)' })
      .optional(),
  ),
});

/** Command-line flags; each wins over the environment. */
export type ConfigOverrides = Partial<{ host: string; port: number; dataDir: string; examples: boolean }>;

/** What a command does when neither a flag nor the environment says (`start` serves the examples). */
export type CommandDefaults = Partial<{ examples: boolean; warmFigures: boolean }>;

/**
 * The one place that reads the environment: parsed once, validated, frozen.
 * Command-line flags override the environment, which overrides the command's defaults.
 *
 * @example
 * const config = loadConfig(process.env, { port: 4000 });
 * loadConfig(process.env, {}, { examples: true }).examples // true unless UPTAKE_EXAMPLES=0
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: ConfigOverrides = {}, defaults: CommandDefaults = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const database: DatabaseConfig = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS }
    : { kind: 'pglite', dataDir: overrides.dataDir ?? e.UPTAKE_DATA_DIR };
  return Object.freeze({
    host: overrides.host ?? e.HOST,
    port: overrides.port ?? e.PORT,
    logLevel: e.LOG_LEVEL,
    database: Object.freeze(database),
    rateLimitPerSecond: e.UPTAKE_RATE_LIMIT_PER_SECOND,
    rateLimitBurst: e.UPTAKE_RATE_LIMIT_BURST,
    queryRateLimitPerSecond: e.UPTAKE_QUERY_RATE_LIMIT_PER_SECOND,
    queryRateLimitBurst: e.UPTAKE_QUERY_RATE_LIMIT_BURST,
    widgetRateLimitPerSecond: e.UPTAKE_WIDGET_RATE_LIMIT_PER_SECOND,
    widgetRateLimitBurst: e.UPTAKE_WIDGET_RATE_LIMIT_BURST,
    authFailuresPerSecond: e.UPTAKE_AUTH_FAILURES_PER_SECOND,
    authFailureBurst: e.UPTAKE_AUTH_FAILURE_BURST,
    keyCacheTtlMs: e.UPTAKE_KEY_CACHE_TTL_MS,
    trustProxy: e.UPTAKE_TRUST_PROXY ?? false,
    figureMaxStalenessMs: e.UPTAKE_FIGURE_MAX_STALENESS_MS,
    retryAfterSeconds: 5,
    examples: overrides.examples ?? e.UPTAKE_EXAMPLES ?? defaults.examples ?? false,
    warmFigures: e.UPTAKE_WARM_FIGURES ?? defaults.warmFigures ?? false,
    readyWhenWarm: e.UPTAKE_READY_WHEN_WARM ?? false,
    maxEventNamesPerProject: e.UPTAKE_MAX_EVENT_NAMES,
    figureCacheMaxBytes: Math.round(e.UPTAKE_FIGURE_CACHE_MB * 2 ** 20),
    webhooks: Object.freeze({
      dispatch: e.UPTAKE_WEBHOOK_DISPATCHER ?? true,
      pollMs: e.UPTAKE_WEBHOOK_POLL_MS,
      timeoutMs: e.UPTAKE_WEBHOOK_TIMEOUT_MS,
      allowPrivate: e.UPTAKE_WEBHOOK_ALLOW_PRIVATE ?? false,
      retryScale: e.UPTAKE_WEBHOOK_RETRY_SCALE,
      disableAfterDays: e.UPTAKE_WEBHOOK_DISABLE_AFTER_DAYS,
      publicUrl: (e.UPTAKE_PUBLIC_URL ?? `http://${overrides.host ?? e.HOST}:${overrides.port ?? e.PORT}`).replace(/\/+$/, ''),
    }),
    deletions: Object.freeze({
      worker: e.UPTAKE_DELETION_WORKER ?? true,
      batchRows: e.UPTAKE_DELETION_BATCH_ROWS,
      leaseMs: e.UPTAKE_DELETION_LEASE_MS,
      pollMs: e.UPTAKE_DELETION_POLL_MS,
      waitMs: e.UPTAKE_DELETION_WAIT_MS,
      ...(e.UPTAKE_DELETION_STOP_AFTER_BATCHES === undefined ? {} : { stopAfterBatches: e.UPTAKE_DELETION_STOP_AFTER_BATCHES }),
    }),
    segmentWatch: e.UPTAKE_SEGMENT_WATCH ?? true,
    segmentWatchPollMs: e.UPTAKE_SEGMENT_WATCH_POLL_MS,
    retention: Object.freeze({ run: e.UPTAKE_RETENTION ?? true, batchSize: e.UPTAKE_RETENTION_BATCH }),
    storeIp: e.UPTAKE_STORE_IP ?? false,
    scorePoints: Object.freeze({ run: e.UPTAKE_SCORE_POINTS ?? true, intervalMs: e.UPTAKE_SCORE_POINTS_POLL_MS }),
    metricsToken: e.UPTAKE_METRICS_TOKEN,
    exportStallMs: Math.round(e.UPTAKE_EXPORT_STALL_SECONDS * 1000),
  });
}
