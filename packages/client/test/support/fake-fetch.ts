import type { Fetch } from '../../src/index.ts';

export type RecordedRequest = { url: URL; method: string; headers: Record<string, string>; body: unknown; bodyBytes: number };
type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };

/**
 * A `fetch` that records every request and answers from `answer` (default: 200 with a batch
 * answer counting the events as accepted).
 *
 * @example
 * const fake = fakeFetch(() => ({ body: { days: [] } }));
 * const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
 */
export function fakeFetch(answer: (request: RecordedRequest) => Answer | string = defaultAnswer) {
  const requests: RecordedRequest[] = [];
  const fetch: Fetch = async (input, init) => {
    const text = typeof init.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      url: new URL(input),
      method: init.method ?? 'GET',
      headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([name, value]) => [name.toLowerCase(), value])),
      body: text === undefined ? undefined : JSON.parse(text),
      bodyBytes: text === undefined ? 0 : new TextEncoder().encode(text).length,
    };
    requests.push(request);
    const reply = answer(request);
    if (typeof reply === 'string') return new Response(reply, { status: 502, headers: { 'content-type': 'text/html' } });
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status ?? 200,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  };
  return { fetch, requests };
}

function defaultAnswer(request: RecordedRequest): Answer {
  const batch = (request.body as { batch?: unknown[] } | undefined)?.batch ?? [];
  return { body: { accepted: batch.length, duplicates: 0, rejected: [] } };
}
