import { parseRetryAfter, UptakeApiError } from './errors.ts';

/** The `fetch` the client sends with: the global one, or any compatible function (tests, proxies). */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Query-string values; `undefined` ones are left out. */
export type QueryParameters = Record<string, string | number | boolean | undefined>;

export type HttpRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with its segments already encoded, e.g. `/v1/users/u%2F1/score`. */
  path: string;
  query?: QueryParameters | undefined;
  /** The `Authorization` header. */
  authorization: string;
  /** Sent as JSON. */
  body?: unknown;
};

/**
 * The full URL of a request: `host` (with or without a trailing slash, possibly with a base
 * path such as `https://example.com/uptake`), the path, then the defined query parameters.
 *
 * @example
 * requestUrl('https://uptake.example.com/', '/v1/nps', { from: '2026-01-01', accountId: undefined })
 * // 'https://uptake.example.com/v1/nps?from=2026-01-01'
 */
export function requestUrl(host: string, path: string, query: QueryParameters = {}): string {
  const url = new URL(host.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

/**
 * A path from literal parts and values, each value percent-encoded as one path segment.
 *
 * @example
 * path`/v1/users/${'a/b c'}/score` // '/v1/users/a%2Fb%20c/score'
 */
export function path(parts: TemplateStringsArray, ...values: string[]): string {
  return parts.reduce((text, part, index) => text + encodeURIComponent(values[index - 1]!) + part);
}

/**
 * Sends one request and returns the parsed JSON answer (undefined for an empty one, e.g. 204).
 * A 4xx/5xx answer becomes an `UptakeApiError`; a network failure is thrown as `fetch` threw it.
 *
 * @example
 * const score = await sendRequest<UserScore>(fetch, host, { method: 'GET', path: '/v1/users/u1/score', authorization: `Bearer ${secretKey}` });
 */
export async function sendRequest<Answer>(fetchFn: Fetch, host: string, request: HttpRequest): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: request.authorization };
  const init: RequestInit = { method: request.method, headers };
  if (request.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(request.body);
  }
  const response = await fetchFn(requestUrl(host, request.path, request.query), init);
  const text = await response.text();
  if (!response.ok) throw apiError(response, text);
  return (text === '' ? undefined : JSON.parse(text)) as Answer;
}

function apiError(response: Response, text: string): UptakeApiError {
  let body: { error?: unknown; message?: unknown; path?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status and the text say what there is to say.
  }
  const fallback = text.trim().slice(0, 500) || response.statusText || `HTTP ${response.status}`;
  return new UptakeApiError({
    status: response.status,
    code: typeof body.error === 'string' ? body.error : `http_${response.status}`,
    message: typeof body.message === 'string' ? body.message : fallback,
    path: typeof body.path === 'string' ? body.path : undefined,
    retryAfter: parseRetryAfter(response.headers.get('retry-after')),
  });
}

/**
 * Sends a GET whose answer is NDJSON and yields one parsed record per line as the body arrives:
 * memory holds one chunk, whatever the size of the export. Breaking out of the loop cancels the
 * request, which ends the service's reading. A 4xx/5xx answer throws an `UptakeApiError` before
 * the first record; a body cut short (the connection lost) throws, never ends quietly.
 */
export async function* streamNdjson<Record_>(fetchFn: Fetch, host: string, request: Omit<HttpRequest, 'method' | 'body'>): AsyncGenerator<Record_> {
  const response = await fetchFn(requestUrl(host, request.path, request.query), { method: 'GET', headers: { accept: 'application/x-ndjson', authorization: request.authorization } });
  if (!response.ok) throw apiError(response, await response.text());
  if (!response.body) return;
  const reader = response.body.getReader();
  // `stream: true` keeps a character cut between two chunks for the next one.
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      pending += decoder.decode(chunk.value, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line !== '') yield JSON.parse(line) as Record_;
    }
    pending += decoder.decode();
    if (pending.trim() !== '') yield JSON.parse(pending) as Record_;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
