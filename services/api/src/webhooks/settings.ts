/**
 * How webhooks are delivered (docs/webhooks.md). `config.ts` reads them from the environment;
 * an app built without them (tests) delivers nothing unless `dispatch` is set.
 */
export type WebhookSettings = {
  /** Run the dispatcher in this app (`UPTAKE_WEBHOOK_DISPATCHER`, default on under serve/start). */
  dispatch: boolean;
  /** How often due deliveries are looked for (`UPTAKE_WEBHOOK_POLL_MS`). */
  pollMs: number;
  /** How long one attempt may take, connection to the last byte of the answer (`UPTAKE_WEBHOOK_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Allow loopback, private (RFC 1918, CGNAT, ULA) and link-local targets (`UPTAKE_WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivate: boolean;
  /** Multiplies the retry schedule's waits (`UPTAKE_WEBHOOK_RETRY_SCALE`; tests make it tiny). */
  retryScale: number;
  /** An endpoint whose deliveries fail without a success for this many days is disabled (`UPTAKE_WEBHOOK_DISABLE_AFTER_DAYS`). */
  disableAfterDays: number;
  /** Where the dashboard is reached, for links in Slack messages (`UPTAKE_PUBLIC_URL`). */
  publicUrl: string;
};

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  dispatch: false,
  pollMs: 500,
  timeoutMs: 15_000,
  allowPrivate: false,
  retryScale: 1,
  disableAfterDays: 5,
  publicUrl: 'http://127.0.0.1:4000',
};

/** The settings in effect: the defaults, then what the config gives. */
export const webhookSettings = (given: Partial<WebhookSettings> | undefined): WebhookSettings => ({ ...DEFAULT_WEBHOOK_SETTINGS, ...given });
