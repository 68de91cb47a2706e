/** An error that becomes a 4xx/5xx answer `{ error, message, path? }` in the central error handler. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly path: string | undefined;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, code: string, message: string, options: { path?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.path = options.path;
    this.headers = options.headers ?? {};
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', // admin shutdown, crash shutdown, cannot connect now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '53300', // too many connections
]);

/** Whether an error is node-postgres giving up on having a connection within the pool's limit (a server out of reach, or every pooled connection in use). */
export function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

/**
 * Whether an error means storage is unreachable (retry later) rather than a bug: connection
 * refused or lost, server shutting down, pool timeout.
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (error instanceof AggregateError && error.errors.some(isStorageUnavailable)) return true;
  return isPoolWaitTimeout(error) || /Connection terminated|Client has encountered a connection error|connection is closed|Query read timeout/i.test(error.message);
}
