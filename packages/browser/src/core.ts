import { createDispatcher } from './dispatcher.js';
import { makeEvent, sessionEndFields, sessionStartFields } from './events.js';
import { anonymousIdentity, changeIdentity, type IdentityChange } from './identity.js';
import { MAX_BATCH_EVENTS } from './limits.js';
import { createPersistedQueue } from './persisted-queue.js';
import { hasExpired, startSession } from './session.js';
import { GROUP_ID, IDENTITY_KEY, LAST_ACTIVITY_AT, readRecord, SESSION_KEY, STORAGE_PREFIX, USER_HASH, USER_ID, type Identity, type Session } from './stored-format.js';
import type { CoreDeps, Options, Properties, Scheduler, Uptake, UptakeError } from './types.js';
import { uuid } from './uuid.js';

/** What the page's life drives in an instance (see `attachPageHooks` in the browser layer). */
export type PageHooks = {
  /**
   * The page is hidden or going away: hand waiting events to `sendBeacon`. `leaving` (pagehide) also
   * gives up the claim on the stored queue, so that the next page load sends it at once.
   */
  hide(leaving?: boolean): void;
  /** The browser is back online: retry now. */
  online(): void;
};

/** Consent (README "Privacy and consent"): pending keeps events in memory, denied records nothing. */
const CONSENT_PENDING = 0;
const CONSENT_GRANTED = 1;
const CONSENT_DENIED = 2;
type ConsentStatus = typeof CONSENT_PENDING | typeof CONSENT_GRANTED | typeof CONSENT_DENIED;

/**
 * Creates an instance (the default one and `createUptake`'s): sessions and identity, the persisted
 * queue (persisted-queue.ts) and its dispatcher (dispatcher.ts), consent, and the public calls.
 * It never touches `window`, `document`, `localStorage`, `fetch` or the global timers; the browser
 * layer passes them in, and `attach` (the browser's `attachPageHooks`) wires the page's life to its
 * {@link PageHooks} until `close()`, which calls the function `attach` returns.
 * Every call catches and reports its own errors.
 *
 * @example
 * const core = createCore({ writeKey: 'wk_1', host: 'https://uptake.example.com' }, {
 *   storage: memoryStore(), transport: myTransport, now: Date.now, random: Math.random,
 * }, { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (timer) => clearTimeout(timer as number) });
 * core.track('Report Created');
 */
export const createCore = (options: Options, deps: CoreDeps, scheduler: Scheduler, attach?: (hooks: PageHooks) => () => void): Uptake => {
  const { storage, now } = deps;
  const flushAt = Math.min(Math.max(options.flushAt || 20, 1), MAX_BATCH_EVENTS);
  const flushIntervalMs = Math.max(options.flushIntervalMs || 5000, 50);
  const listeners: Array<(error: UptakeError) => void> = [];

  /** Tells the `onError` listeners (and the console with `debug`) about a problem. */
  const report = (error: UptakeError): void => {
    if (options.debug) console.warn('[uptake]', error.code, error);
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // a listener's bug is not ours to throw
      }
    }
  };
  /** Wraps `fn` so that it never throws into the app: an exception is reported instead. */
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R | undefined => {
      try {
        return fn(...args);
      } catch (error) {
        report({ code: 'exception', error });
      }
    };

  // `consent: 'denied'` is applied below by consent(false), which also clears what is stored.
  let consentStatus: ConsentStatus = options.consent == 'pending' ? CONSENT_PENDING : CONSENT_GRANTED;
  const granted = (): boolean => consentStatus == CONSENT_GRANTED;
  let identity = readRecord<Identity>(storage.get(IDENTITY_KEY)) || anonymousIdentity(now());
  let session: Session | undefined;

  /** Writes (or removes, for `undefined`) a key, only with consent; a full or broken storage leaves memory as the copy. */
  const write = (key: string, value?: string): void => {
    if (!granted()) return;
    try {
      if (value) storage.set(key, value);
      else storage.remove(key);
    } catch {
      // quota or disabled storage: the events stay in memory
    }
  };

  const queue = createPersistedQueue(storage, write, uuid(now()), now, report);
  const dispatcher = createDispatcher(options.host.replace(/\/+$/, '') + '/v1/batch', options.writeKey, {
    ...deps,
    timers: scheduler,
    eventQueue: queue,
    canSend: granted,
    report,
  });

  /** Stores the identity, the session and the queue (with the lease that says this page load owns it). */
  const save = (): void => {
    write(IDENTITY_KEY, JSON.stringify(identity));
    write(SESSION_KEY, session && JSON.stringify(session));
    queue.saveQueue();
  };
  /**
   * Identity and session are shared by the tabs: another tab may have identified the user, reset,
   * or kept the session alive, so the stored copies win (memory is the truth until consent).
   */
  const load = (): void => {
    if (!granted()) return;
    identity = readRecord<Identity>(storage.get(IDENTITY_KEY)) || identity;
    session = readRecord<Session>(storage.get(SESSION_KEY)) || session;
  };

  const enqueue = (type: string, fields: Properties, at: number, current: Session): void =>
    queue.queueEvent(makeEvent(type, fields, at, identity, current, deps.page?.()));
  const endSession = (ended: Session): void => enqueue('track', sessionEndFields(ended), ended[LAST_ACTIVITY_AT], ended);

  /**
   * Makes an event of `type` with `fields`, stores it and sends it when a batch is due. `change`
   * first changes the identity, even while consent is denied.
   */
  const record = (type: string, fields: Properties, change?: IdentityChange): void => {
    load();
    if (change) identity = changeIdentity(identity, change);
    if (consentStatus == CONSENT_DENIED) return;
    const at = now();
    let current = session;
    if (!current || hasExpired(current, at)) {
      if (current) endSession(current);
      current = session = startSession(at);
      enqueue('track', sessionStartFields(current), at, current);
    }
    current[LAST_ACTIVITY_AT] = at;
    enqueue(type, fields, at, current);
    save();
    if (queue.unsentEvents().length >= flushAt) dispatcher.sendNow();
  };

  /** Adopts orphaned queues (renewing our lease) and sends; runs every `flushIntervalMs`. */
  const tick = (): void => {
    if (!granted()) return;
    queue.adoptOrphans();
    dispatcher.sendNow();
  };
  let ticker: unknown;
  const tickAndReschedule = guard((): void => {
    ticker = scheduler.setTimeout(tickAndReschedule, flushIntervalMs);
    tick();
  });

  const consent = (given: boolean): void => {
    if (!given) {
      consentStatus = CONSENT_DENIED;
      queue.dropAll();
      session = undefined;
      identity = anonymousIdentity(now());
      for (const key of storage.keys()) if (key.startsWith(STORAGE_PREFIX)) storage.remove(key);
    } else if (!granted()) {
      consentStatus = CONSENT_GRANTED;
      save();
      tick();
    }
  };

  ticker = scheduler.setTimeout(tickAndReschedule, flushIntervalMs);
  if (options.consent == 'denied') consent(false); // as if just refused: nothing stored stays
  load();
  save();
  tick();
  const detach = attach?.({
    hide: guard((leaving) => {
      if (leaving) queue.releaseLease();
      dispatcher.sendBeacons();
    }),
    online: guard(dispatcher.retryNow),
  });

  return {
    identify: guard((userId, traits, options) =>
      record('identify', { traits }, options?.userHash ? { [USER_ID]: userId, [USER_HASH]: options.userHash } : { [USER_ID]: userId }),
    ),
    group: guard((accountId, traits) => record('group', { groupId: accountId, traits }, { [GROUP_ID]: accountId })),
    track: guard((event, properties) => record('track', { event, properties })),
    page: guard((name, properties) => record('page', { name, properties: { ...deps.page?.(), ...properties } })),
    flush: dispatcher.sendNow,
    reset: guard(() => {
      load();
      if (session && consentStatus != CONSENT_DENIED) endSession(session);
      session = undefined;
      identity = anonymousIdentity(now());
      save();
    }),
    consent: guard(consent),
    onError: (listener) => void listeners.push(listener),
    close: () => {
      scheduler.clearTimeout(ticker);
      dispatcher.cancelRetry();
      detach?.();
    },
  };
};
