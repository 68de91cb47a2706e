/**
 * A fake Uptake service at the network edge (msw): records every batch the SDK sends and answers
 * the widget routes with what a test says.
 */
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export const HOST = 'https://uptake.test';
export const WRITE_KEY = 'wk_test_react';

type Sent = Record<string, any>;
export type WidgetRequest = { route: string; query: Record<string, string> };

export const batches: Array<{ writeKey: string; batch: Sent[] }> = [];
export const widgetRequests: WidgetRequest[] = [];
const widgetAnswers: Record<string, JsonBodyType> = {};

/** Every event the service received, in order. */
export const events = (): Sent[] => batches.flatMap((request) => request.batch);
export const eventsOfType = (type: string): Sent[] => events().filter((event) => event.type === type);
/** The app's track events (not the SDK's own `$session_start` …). */
export const tracked = (): Sent[] => eventsOfType('track').filter((event) => !String(event.event).startsWith('$'));

/** Serves `GET /v1/widgets/<route>` with `body`. */
export const serveWidget = (route: 'nps' | 'progress', body: JsonBodyType): void => {
  widgetAnswers[route] = body;
};

const server = setupServer(
  http.post(`${HOST}/v1/batch`, async ({ request }) => {
    const body = JSON.parse(await request.text()) as { writeKey: string; batch: Sent[] };
    batches.push(body);
    return HttpResponse.json({ accepted: body.batch.length, duplicates: 0, rejected: [] });
  }),
  http.get(`${HOST}/v1/widgets/:route`, ({ request, params }) => {
    const route = String(params['route']);
    widgetRequests.push({ route, query: Object.fromEntries(new URL(request.url).searchParams) });
    return HttpResponse.json(widgetAnswers[route] ?? { error: 'not_found' }, { status: widgetAnswers[route] ? 200 : 404 });
  }),
);

/** Registers msw and a clean page and localStorage for a test file. */
export const useFakeService = (): void => {
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  beforeEach(() => {
    localStorage.clear();
    batches.length = 0;
    widgetRequests.length = 0;
    for (const route of Object.keys(widgetAnswers)) delete widgetAnswers[route];
  });
  afterEach(() => document.body.replaceChildren());
  afterAll(() => server.close());
};
