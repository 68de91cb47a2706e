import { attachPageHooks, browserDeps } from './browser.js';
import { createCore, type Core } from './core.js';
import { MAX_PENDING_CALLS } from './limits.js';
import type {
  AccountTraits,
  CoreDeps,
  IdentifyOptions,
  Options,
  Properties,
  UptakeError,
  UserTraits,
} from './types.js';

export type {
  AccountTraits,
  ConsentState,
  CoreDeps,
  HttpAnswer,
  IdentifyOptions,
  KeyValueStore,
  Options,
  PageContext,
  Properties,
  Transport,
  UptakeError,
  UserTraits,
} from './types.js';
export { memoryStore } from './memory-store.js';

// The calls shared by the default instance (named exports) and createUptake().
const identifyWith = (core: Core, userId: string, traits?: UserTraits, options?: IdentifyOptions): void => {
  core.user(options?.userHash ? { u: userId, h: options.userHash } : { u: userId });
  core.send('identify', { traits });
};
const groupWith = (core: Core, accountId: string, traits?: AccountTraits): void => {
  core.user({ g: accountId });
  core.send('group', { groupId: accountId, traits });
};
const trackWith = (core: Core, event: string, properties?: Properties): void => core.send('track', { event, properties });
const pageWith = (core: Core, name?: string, properties?: Properties): void => core.send('page', { name, properties });

/** The default instance, made by `init`. */
let instance: Core | undefined;
/** Calls made before `init`, replayed in order by it. */
const waiting: Array<(core: Core) => unknown> = [];

const run = <R>(call: (core: Core) => R): R | undefined => {
  try {
    if (instance) return call(instance);
    if (waiting.length < MAX_PENDING_CALLS) waiting.push(call);
  } catch (error) {
    instance?.fail(error);
  }
};

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
    instance = createCore(options, browserDeps(options));
    attachPageHooks(instance);
    for (const call of waiting.splice(0)) run(call);
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
export const identify = (userId: string, traits?: UserTraits, options?: IdentifyOptions): void =>
  void run((core) => identifyWith(core, userId, traits, options));

/**
 * Says which account (customer company) the user works in; later events carry it as `context.groupId`.
 *
 * @example
 * group('acme', { name: 'Acme Inc.', plan: 'pro', seats: 25 });
 */
export const group = (accountId: string, traits?: AccountTraits): void => void run((core) => groupWith(core, accountId, traits));

/**
 * Records a feature use or any other action.
 *
 * @example
 * track('Report Created', { format: 'pdf' });
 */
export const track = (event: string, properties?: Properties): void => void run((core) => trackWith(core, event, properties));

/**
 * Records a page view; `url`, `path`, `referrer` and `title` are added to its properties.
 *
 * @example
 * page();                       // on load
 * page('Settings', { tab: 'billing' }); // in a single-page app's router
 */
export const page = (name?: string, properties?: Properties): void => void run((core) => pageWith(core, name, properties));

/**
 * Sends waiting events now (unless the service asked to wait); resolves when the attempt is over.
 *
 * @example
 * await flush();
 */
export const flush = (): Promise<void> => run((core) => core.flush()) || Promise.resolve();

/**
 * Logout: forgets the user and the account, ends the session and starts over with a new anonymous id.
 * Events already recorded are still sent.
 *
 * @example
 * reset();
 */
export const reset = (): void => void run((core) => core.reset());

/**
 * Gives or withdraws consent. `consent(true)` stores and sends what was recorded while consent was
 * pending; `consent(false)` drops it and clears everything the SDK stored.
 *
 * @example
 * init({ writeKey, host, consent: 'pending' });
 * cookieBanner.onAccept(() => consent(true));
 * cookieBanner.onReject(() => consent(false));
 */
export const consent = (granted: boolean): void => void run((core) => core.consent(granted));

/**
 * Listens to problems: rejected or dropped events, queue overflow, unexpected errors.
 * The SDK never throws into your app; this is where it tells you.
 *
 * @example
 * onError((error) => console.warn('uptake', error.code, error));
 */
export const onError = (listener: (error: UptakeError) => void): void => void run((core) => core.onError(listener));

/** The default instance's API as one object (what the script tag puts on `window.uptake`). */
export const uptake = { init, identify, group, track, page, flush, reset, consent, onError };

/** An instance made by {@link createUptake}. */
export type Uptake = {
  identify(userId: string, traits?: UserTraits, options?: IdentifyOptions): void;
  group(accountId: string, traits?: AccountTraits): void;
  track(event: string, properties?: Properties): void;
  page(name?: string, properties?: Properties): void;
  flush(): Promise<void>;
  reset(): void;
  consent(granted: boolean): void;
  onError(listener: (error: UptakeError) => void): void;
  /** Stops timers and page listeners. */
  close(): void;
};

/**
 * Makes a separate instance, for a second project on the page, a worker (pass `deps`), or tests.
 * In a browser its page hooks (beacon on hide, retry on online) are attached.
 *
 * @example
 * const other = createUptake({ writeKey: 'wk_other', host: 'https://uptake.example.com' });
 * other.track('Widget Opened');
 */
export const createUptake = (options: Options, deps: CoreDeps = browserDeps(options)): Uptake => {
  const core = createCore(options, deps);
  const detach = typeof document == 'object' ? attachPageHooks(core) : () => {};
  // The core's methods catch and report everything themselves.
  return {
    identify: (userId, traits, options) => identifyWith(core, userId, traits, options),
    group: (accountId, traits) => groupWith(core, accountId, traits),
    track: (event, properties) => trackWith(core, event, properties),
    page: (name, properties) => pageWith(core, name, properties),
    flush: core.flush,
    reset: core.reset,
    consent: core.consent,
    onError: core.onError,
    close: () => {
      detach();
      core.stop();
    },
  };
};
