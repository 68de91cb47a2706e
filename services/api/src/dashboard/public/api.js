/* global fetch, sessionStorage, URLSearchParams */
/**
 * The dashboard's only door to data: the query API with the project's secret key, which lives in
 * sessionStorage (gone when the tab closes; signing out removes it). Every request goes through
 * `request()`, which adds `Authorization: Bearer <secretKey>`.
 */

const KEY_STORAGE = 'uptake.dashboard.secretKey';

export const storedSecretKey = () => sessionStorage.getItem(KEY_STORAGE);
export const storeSecretKey = (secretKey) => sessionStorage.setItem(KEY_STORAGE, secretKey);
export const forgetSecretKey = () => sessionStorage.removeItem(KEY_STORAGE);

/** An answer other than 2xx, with the API's `{ error, message }`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? 'http_error';
    /** The field a 400 names (`message.body`), when it names one. */
    this.path = body?.path;
  }
}

const withQuery = (path, query) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
};

/**
 * A query-API client for one secret key.
 *
 * @example
 * const api = createApi(storedSecretKey());
 * const { days } = await api.get('/v1/metrics/active', { from: '2026-01-01', to: '2026-01-31' });
 */
export function createApi(secretKey) {
  const request = async (method, path, { query, body } = {}) => {
    const response = await fetch(withQuery(path, query), {
      method,
      headers: { authorization: `Bearer ${secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const answer = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  };
  return {
    get: (path, query) => request('GET', path, { query }),
    post: (path, body) => request('POST', path, { body }),
    patch: (path, body) => request('PATCH', path, { body }),
    delete: (path) => request('DELETE', path),
    /** Follows `nextCursor` until the last page; returns every item. */
    async getAll(path, query = {}) {
      const items = [];
      let cursor;
      let first;
      do {
        const page = await request('GET', path, { query: { ...query, limit: 1000, cursor } });
        first ??= page;
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return { ...first, items, nextCursor: null };
    },
  };
}

/** Runs `task` over `items`, at most `concurrency` at a time; results in the items' order. */
export async function mapConcurrently(items, concurrency, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
