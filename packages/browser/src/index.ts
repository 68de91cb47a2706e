import { attachPageHooks, browserDeps, browserScheduler } from './browser.js';
import { createCore } from './core.js';
import { MAX_PENDING_CALLS } from './limits.js';
import type { CoreDeps, Options, Uptake } from './types.js';

export type {
  AccountTraits,
  ConsentChoice,
  ConsentState,
  CoreDeps,
  HttpAnswer,
  IdentifyOptions,
  KeyValueStore,
  Options,
  PageContext,
  Properties,
  Transport,
  Uptake,
  UptakeError,
  UserTraits,
} from './types.js';
export { memoryStore } from './memory-store.js';

/** The default instance, made by `init`. */
let instance: Uptake | undefined;
type Method = Exclude<keyof Uptake, 'close'>;
/** Calls made before `init`, replayed in order by it. */
const waiting: Array<[Method, unknown[]]> = [];

/** Calls the default instance's `method` (which never throws), or keeps the call for `init`. */
const run = (method: Method, args: unknown[]): unknown => {
  if (instance) return (instance[method] as (...args: unknown[]) => unknown)(...args);
  if (waiting.length < MAX_PENDING_CALLS) waiting.push([method, args]);
};

/** The default instance's `method`: calls it, or keeps the call for `init`. Pure: unused methods are tree-shaken. */
const call = <M extends Method>(method: M): Uptake[M] => ((...args: unknown[]) => run(method, args)) as Uptake[M];

/**
 * Starts the SDK. Call it once, as early as you can; calls made before it are kept and replayed.
 * Events left unsent by an earlier page load (or another tab that closed) are sent now.
 *
 * @example
 * import { init } from '@uptake/browser';
 * init({ writeKey: 'wk_live_…', host: 'https://uptake.example.com' });
 */
export const init = (options: Options): void => {
  try {
    if (instance) return;
    instance = createCore(options, browserDeps(options), browserScheduler, attachPageHooks);
    for (const [method, args] of waiting.splice(0)) run(method, args);
  } catch {
    // never throw into the host page
  }
};

/**
 * Says who the user is. The id (and the account from `group`) is added to every later event and
 * kept across page loads until `reset()`.
 *
 * @example
 * identify('user_42', { email: 'ada@example.com', role: 'admin' }, { userHash: hashFromYourBackend });
 */
export const identify = /* @__PURE__ */ call('identify');

/**
 * Says which account (customer company) the user works in; later events carry it as `context.groupId`.
 *
 * @example
 * group('acme', { name: 'Acme Inc.', plan: 'pro', seats: 25 });
 */
export const group = /* @__PURE__ */ call('group');

/**
 * Records a feature use or any other action.
 *
 * @example
 * track('Report Created', { format: 'pdf' });
 */
export const track = /* @__PURE__ */ call('track');

/**
 * Records a page view; `url`, `path`, `referrer` and `title` are added to its properties.
 *
 * @example
 * page();                       // on load
 * page('Settings', { tab: 'billing' }); // in a single-page app's router
 */
export const page = /* @__PURE__ */ call('page');

/**
 * Sends waiting events now (unless the service asked to wait); resolves when the attempt is over.
 *
 * @example
 * await flush();
 */
export const flush: Uptake['flush'] = () => (run('flush', []) as Promise<void> | undefined) || Promise.resolve();

/**
 * Logout: forgets the user and the account, ends the session and starts over with a new anonymous id.
 * Events already recorded are still sent.
 *
 * @example
 * reset();
 */
export const reset = /* @__PURE__ */ call('reset');

/**
 * Gives or withdraws consent; the choice is remembered across page loads and tabs. `consent(true)`
 * (or `'granted'`) stores and sends what was recorded while consent was pending; `consent(false)`
 * (or `'denied'`) drops it, clears everything the SDK stored but the choice, and sends nothing more.
 *
 * @example
 * init({ writeKey, host, consent: 'pending' });
 * cookieBanner.onAccept(() => consent(true));
 * cookieBanner.onReject(() => consent(false));
 */
export const consent = /* @__PURE__ */ call('consent');

/**
 * Listens to problems: rejected or dropped events, queue overflow, unexpected errors.
 * The SDK never throws into your app; this is where it tells you.
 *
 * @example
 * onError((error) => console.warn('uptake', error.code, error));
 */
export const onError = /* @__PURE__ */ call('onError');

/** The default instance's API as one object (what the script tag puts on `window.uptake`). */
export const uptake = { init, identify, group, track, page, flush, reset, consent, onError };

/**
 * Makes a separate instance, for a second project on the page, a worker (pass `deps`), or tests.
 * In a browser its page hooks (beacon on hide, retry on online) are attached.
 *
 * @example
 * const other = createUptake({ writeKey: 'wk_other', host: 'https://uptake.example.com' });
 * other.track('Widget Opened');
 */
export const createUptake = (options: Options, deps: CoreDeps = browserDeps(options)): Uptake =>
  createCore(options, deps, browserScheduler, attachPageHooks);
