/**
 * A 4xx/5xx answer of the Uptake service. `code` is the answer's `error` field
 * (`user_not_found`, `invalid_request`, `rate_limited` …), `path` names the bad parameter or
 * field when the service says which, and `retryAfter` is the `Retry-After` header in seconds
 * (sent with 429 and 503).
 *
 * Network failures are not wrapped: `fetch`'s own error (a `TypeError` in most runtimes)
 * reaches the caller as it is.
 *
 * @example
 * try {
 *   await client.userScore('u-unknown');
 * } catch (error) {
 *   if (error instanceof UptakeApiError && error.status === 404) return null;
 *   throw error;
 * }
 */
export class UptakeApiError extends Error {
  override readonly name = 'UptakeApiError';
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The service's error code (its `error` field), e.g. `user_not_found`; `http_<status>` when the body had none. */
  readonly code: string;
  /** The parameter or JSON path the error is about, e.g. `asOf` or `batch[3].userId`. */
  readonly path: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After` (429, 503); undefined when absent. */
  readonly retryAfter: number | undefined;

  constructor(init: { status: number; code: string; message: string; path?: string | undefined; retryAfter?: number | undefined }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.path = init.path;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * A call the client refuses before sending anything: a query method without `secretKey`, or
 * ingestion without `writeKey`.
 *
 * @example
 * const client = createUptakeClient({ host, writeKey });
 * await client.userScore('u1'); // throws UptakeConfigError: userScore needs the project's secretKey …
 */
export class UptakeConfigError extends Error {
  override readonly name = 'UptakeConfigError';
}

/**
 * `Retry-After` in seconds: either a number of seconds or an HTTP date (then the seconds from
 * `now` until it, at least 0). Undefined when absent or unreadable.
 *
 * @example
 * parseRetryAfter('5') // 5
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('2026-10-21T07:27:30Z')) // 30
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
