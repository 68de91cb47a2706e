import { isIP } from 'node:net';
import type { Config } from '../config.ts';
import { isLoopback } from '../metrics/metrics-access.ts';
import { fail, ok, warn, type Check } from './check.ts';

/** Whether HOST takes connections from other machines (`0.0.0.0`, `::`, a public address, a name). */
export function listensBeyondLoopback(host: string): boolean {
  if (host === 'localhost') return false;
  return isIP(host) === 0 || !isLoopback(host);
}

/**
 * What a deployment commonly gets wrong that its settings alone show (config.ts; README.md,
 * "Settings"). Pure: the same config gives the same findings.
 *
 * @example
 * configChecks(loadConfig({ HOST: '0.0.0.0' })) // → […, { level: 'warn', subject: 'metrics', … }]
 */
export function configChecks(config: Config): Check[] {
  const checks: Check[] = [];
  const publicHost = listensBeyondLoopback(config.host);
  checks.push(
    ok('listen', publicHost ? `${config.host}:${config.port} (reachable from other machines)` : `${config.host}:${config.port} (this machine only: a reverse proxy serves the public)`),
  );

  if (config.metricsToken !== undefined) checks.push(ok('metrics', 'UPTAKE_METRICS_TOKEN is set: /metrics answers other machines that send it'));
  else if (publicHost) {
    checks.push(warn('metrics', `UPTAKE_METRICS_TOKEN is unset while listening on ${config.host}: a Prometheus on another machine gets 403 from /metrics`, 'set UPTAKE_METRICS_TOKEN (openssl rand -hex 32) and scrape with Authorization: Bearer <token>'));
  } else checks.push(ok('metrics', '/metrics answers clients on this machine (UPTAKE_METRICS_TOKEN unset)'));

  if (config.database.kind === 'pglite' && publicHost) {
    checks.push(warn('database', `embedded PGlite (${config.database.dataDir}) while listening on ${config.host}: one process, and no statement can be timed out`, 'serve the public from Postgres: set DATABASE_URL (docs/security.md, "Limits")'));
  }
  if (config.database.kind === 'postgres' && config.database.queryTimeoutMs === 0) {
    checks.push(warn('database', 'DATABASE_QUERY_TIMEOUT_MS=0: a query never times out, so a slow one holds its connection for ever', 'unset it (default 30000) or give a limit in ms'));
  }

  if (config.examples && publicHost) {
    checks.push(fail('examples', `the example pages are served on ${config.host}: they hand any visitor a demo user's userHash`, 'unset UPTAKE_EXAMPLES (and drop --examples; run `uptake serve`, not `uptake start`)'));
  }

  if (config.trustProxy === true) {
    checks.push(warn('proxy', 'UPTAKE_TRUST_PROXY=true believes X-Forwarded-For from any client, so a client chooses the address failed-auth throttling counts', 'set the number of proxies in front (UPTAKE_TRUST_PROXY=1) or their addresses'));
  }

  const limits: Array<[string, number | undefined]> = [
    ['UPTAKE_RATE_LIMIT_PER_SECOND', config.rateLimitPerSecond],
    ['UPTAKE_QUERY_RATE_LIMIT_PER_SECOND', config.queryRateLimitPerSecond],
    ['UPTAKE_WIDGET_RATE_LIMIT_PER_SECOND', config.widgetRateLimitPerSecond],
    ['UPTAKE_AUTH_FAILURES_PER_SECOND', config.authFailuresPerSecond],
  ];
  const off = limits.filter(([, perSecond]) => !perSecond).map(([name]) => name);
  checks.push(off.length === 0 ? ok('rate limits', 'every limit of docs/security.md is on') : warn('rate limits', `off: ${off.join(', ')}=0`, 'unset them for the defaults (docs/security.md, "Limits")'));

  const webhooks = config.webhooks;
  if (webhooks?.allowPrivate) {
    checks.push(warn('webhooks', 'UPTAKE_WEBHOOK_ALLOW_PRIVATE=1: webhook endpoints may target private and loopback addresses (the SSRF guard is off)', 'unset it unless everyone holding a secret key may reach your internal network'));
  }
  if (webhooks?.retryScale !== undefined && webhooks.retryScale !== 1) {
    checks.push(warn('webhooks', `UPTAKE_WEBHOOK_RETRY_SCALE=${webhooks.retryScale}: the retry schedule of docs/webhooks.md is scaled (meant for tests)`, 'unset it'));
  }
  if (webhooks?.publicUrl !== undefined) {
    if (webhooks.publicUrl === `http://${config.host}:${config.port}` && publicHost) {
      checks.push(warn('public url', `UPTAKE_PUBLIC_URL is unset: links in Slack messages point to ${webhooks.publicUrl}`, 'set UPTAKE_PUBLIC_URL to the address users open the dashboard at (https://…)'));
    } else if (webhooks.publicUrl.startsWith('http://') && !/^http:\/\/(localhost|127\.|\[::1\])/.test(webhooks.publicUrl)) {
      checks.push(warn('public url', `UPTAKE_PUBLIC_URL is ${webhooks.publicUrl}: not https`, 'serve the dashboard over TLS and give its https:// address'));
    } else checks.push(ok('public url', webhooks.publicUrl));
  }

  const deletions = config.deletions;
  if (deletions?.stopAfterBatches !== undefined) {
    checks.push(fail('deletions', `UPTAKE_DELETION_STOP_AFTER_BATCHES=${deletions.stopAfterBatches}: the deletion worker stops part-way (a crash-test setting)`, 'unset UPTAKE_DELETION_STOP_AFTER_BATCHES'));
  }
  if (deletions?.worker === false) {
    checks.push(warn('deletions', 'UPTAKE_DELETION_WORKER=0: deletion requests wait until an instance with the worker runs', 'leave the worker on in at least one instance'));
  }
  if (config.retention?.run === false) {
    checks.push(warn('retention', "UPTAKE_RETENTION=0: projects' retentionDays are not applied by this instance", 'leave retention on in at least one instance (or run `uptake expire` from cron)'));
  }
  if (config.storeIp) {
    checks.push(warn('privacy', 'UPTAKE_STORE_IP=1: client IP addresses are stored with events (personal data, docs/privacy.md)', 'unset it unless you need the addresses and your privacy notice says so'));
  }
  return checks;
}
