import type { PageHooks } from './core.js';
import { memoryStore } from './memory-store.js';
import type { CoreDeps, KeyValueStore, Options, PageContext, Scheduler, Transport } from './types.js';

/** localStorage as a {@link KeyValueStore}, or `undefined` when it is missing or refuses writes (privacy modes). */
export const localStore = (): KeyValueStore | undefined => {
  try {
    const storage = localStorage;
    storage.setItem('uptake.', '1');
    storage.removeItem('uptake.');
    return {
      get: (key) => storage.getItem(key),
      set: (key, value) => storage.setItem(key, value),
      remove: (key) => storage.removeItem(key),
      keys: () => Object.keys(storage),
    };
  } catch {
    // no localStorage
  }
};

/**
 * `fetch` + `navigator.sendBeacon` as a {@link Transport}. Bodies are strings, so both send
 * `text/plain` (a CORS "simple request": no preflight). `keepalive` is asked for small bodies only:
 * browsers refuse keepalive requests over 64 KB.
 */
export const fetchTransport = (): Transport => ({
  post: (url, body) =>
    fetch(url, { method: 'POST', body, keepalive: body.length < 2e4 }).then(async (response) => ({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.json().catch(() => 0),
    })),
  beacon: (url, body) => {
    try {
      return navigator.sendBeacon(url, body);
    } catch {
      return false;
    }
  },
});

/** The current page, sent as `context.page` and as a `page` event's properties. */
export const pageContext = (): PageContext => ({
  url: location.href,
  path: location.pathname,
  referrer: document.referrer,
  title: document.title,
});

/** The browser's storage, transport, clock and page for {@link createCore}. */
export const browserDeps = (options: Options): CoreDeps => ({
  storage: (options.persistence != 'memory' && localStore()) || memoryStore(),
  transport: fetchTransport(),
  now: Date.now,
  random: Math.random,
  page: pageContext,
  privacySignal: (navigator as { globalPrivacyControl?: unknown }).globalPrivacyControl === true,
});

/**
 * The real timers: the global object's own `setTimeout`, `clearTimeout`, `setInterval` and
 * `clearInterval`, called on it (browsers refuse them called on another object) and looked up on
 * each call (so a test's fake timers apply too).
 */
export const browserScheduler: Scheduler = globalThis;

/**
 * Wires the page's life to the core: beacon on `visibilitychange` → hidden and on `pagehide`
 * (which also hands the stored queue to the next page load), retry on `online`.
 * Outside a page (a worker, Node) there is nothing to wire. Returns a function that removes the listeners.
 */
export const attachPageHooks = (hooks: PageHooks): (() => void) => {
  const onVisibility = (): void => {
    if (document.visibilityState == 'hidden') hooks.pageHidden();
  };
  const controller = new AbortController();
  const options = { signal: controller.signal };
  if (typeof document == 'object') {
    document.addEventListener('visibilitychange', onVisibility, options);
    // pagehide passes its event: a truthy `leaving`.
    addEventListener('pagehide', hooks.pageHidden, options);
    addEventListener('online', hooks.backOnline, options);
  }
  return () => controller.abort();
};
