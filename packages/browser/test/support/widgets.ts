/**
 * Widget routes at the network edge (msw), next to the fake batch service, and ways into the
 * widgets' shadow roots.
 */
import { http, HttpResponse, type JsonBodyType } from 'msw';
import { afterEach, vi } from 'vitest';
import { HOST, server } from './service.ts';

export type WidgetRequest = { route: string; query: Record<string, string>; authorization: string | null };
export const widgetRequests: WidgetRequest[] = [];

/** Serves `GET /v1/widgets/<route>` with `body` (or the status when a number). */
export const serveWidget = (route: 'nps' | 'progress' | 'messages', body: JsonBodyType): void => {
  server.use(
    http.get(`${HOST}/v1/widgets/${route}`, ({ request }) => {
      const url = new URL(request.url);
      widgetRequests.push({ route, query: Object.fromEntries(url.searchParams), authorization: request.headers.get('authorization') });
      return typeof body == 'number' ? HttpResponse.json({ error: 'x' }, { status: body }) : HttpResponse.json(body);
    }),
  );
};

/** Resets the widget routes and the page after each test. */
export const useWidgetPage = (): void => {
  afterEach(() => {
    server.resetHandlers();
    widgetRequests.length = 0;
    document.body.replaceChildren();
    vi.unstubAllGlobals();
  });
};

/** The widget's shadow root (the first on the page). */
export const shadow = (): ShadowRoot | null => document.querySelector('[data-uptake-widget]')?.shadowRoot ?? null;
export const $ = <E extends Element = HTMLElement>(selector: string): E => {
  const found = shadow()?.querySelector<E>(selector);
  if (!found) throw new Error(`not found in the widget: ${selector}`);
  return found;
};
export const $$ = <E extends Element = HTMLElement>(selector: string): E[] => Array.from(shadow()?.querySelectorAll<E>(selector) ?? []);
/** The element that has focus, inside the shadow root when the widget has it. */
export const focused = (): Element | null => shadow()?.activeElement ?? document.activeElement;
export const key = (target: Element, name: string): KeyboardEvent => {
  const event = new KeyboardEvent('keydown', { key: name, bubbles: true, composed: true, cancelable: true });
  target.dispatchEvent(event);
  return event;
};
/** `matchMedia` answering true for the given queries. */
export const prefer = (...queries: string[]): void => {
  vi.stubGlobal('matchMedia', (query: string) => ({ matches: queries.includes(query), media: query }));
};
