import { createDispatcher } from './dispatcher.js';
import { byteLength, iso } from './encoding.js';
import { LEASE_MS, MAX_BATCH_EVENTS, MAX_EVENT_BYTES } from './limits.js';
import {
  ANONYMOUS_ID,
  CONSENT_KEY,
  GROUP_ID,
  IDENTITY_KEY,
  LAST_ACTIVITY_AT,
  LEASE_PREFIX,
  NEXT_SEQ,
  QUEUE_PREFIX,
  readRecord,
  SESSION_ID,
  SESSION_KEY,
  STORAGE_PREFIX,
  USER_HASH,
  USER_ID,
  type Identity,
  type IdentityChange,
  type Session,
} from './stored-format.js';
import { takeOrphanedQueues, trimQueue } from './persisted-queue.js';
import { hasExpired, sessionEndFields, sessionStartFields, startSession } from './session.js';
import type { ConsentChoice, CoreDeps, Options, Properties, Scheduler, Uptake, UptakeError } from './types.js';
import { uuid } from './uuid.js';
import { VERSION } from './version.js';

/** What the page's life drives in an instance (see `attachPageHooks` in the browser layer). */
export type PageHooks = {
  /**
   * The page is hidden or going away: hand waiting events to `sendBeacon`. `leaving` (pagehide) also
   * gives up the claim on the stored queue, so that the next page load sends it at once.
   */
  pageHidden(leaving?: unknown): void;
  /** The browser is back online: retry now. */
  backOnline(): void;
};

/**
 * Consent (README "Privacy and consent") as what it allows: denied nothing; pending recording in
 * memory; anonymous also sending (ids in memory only); granted also storing.
 */
const CONSENT_DENIED = 0;
const MAY_RECORD = 1;
const MAY_SEND = 2;
const MAY_STORE = 4;
const CONSENT_GRANTED = MAY_RECORD | MAY_SEND | MAY_STORE;
/** The `consent` option's starting states other than granted. */
const STARTING_STATE: Record<string, number> = { pending: MAY_RECORD, anonymous: MAY_RECORD | MAY_SEND, denied: CONSENT_DENIED };

/**
 * Creates an instance (the default one and `createUptake`'s). It holds the instance's state and,
 * in this order: error reporting, what is stored (identity, session, the persisted queue and its
 * lease; the queue's rules are in persisted-queue.ts), making events (the session's rules are in
 * session.ts), the dispatcher (batches, retry and backoff, beacons when the page is hidden),
 * consent, and the public calls. README "Delivery guarantees" and "Privacy and consent" say what
 * each part promises; src/stored-format.ts says what is kept in localStorage.
 *
 * It never touches `window`, `document`, `localStorage`, `fetch` or the global timers: the browser
 * layer passes them in (`deps`, `scheduler`), and `attach` (the browser's `attachPageHooks`) wires
 * the page's life to its {@link PageHooks} until `close()`, which calls the function `attach`
 * returns. Every call catches and reports its own errors.
 *
 * @example
 * const core = createCore(
 *   { writeKey: 'wk_1', host: 'https://uptake.example.com' },
 *   { storage: memoryStore(), transport: myTransport, now: Date.now, random: Math.random },
 *   globalThis,
 * );
 * core.track('Report Created');
 */
export const createCore = (options: Options, deps: CoreDeps, scheduler: Scheduler, attach?: (hooks: PageHooks) => () => void): Uptake => {
  const { storage } = deps;
  // `+`: the script tag passes its `data-*` text as it is; not a number (NaN) means the default, as 0 does.
  const flushAt = Math.min(Math.max(+options.flushAt! || 20, 1), MAX_BATCH_EVENTS);
  /** This page load; names its stored queue and lease. */
  const tab = uuid(deps.now());
  const queueKey = QUEUE_PREFIX + tab;
  const leaseKey = LEASE_PREFIX + tab;

  // ── Errors ────────────────────────────────────────────────────────────────────────────────
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

  // ── What is stored ────────────────────────────────────────────────────────────────────────
  // Where a browser without a stored choice starts (the stored choice is applied at the start, below).
  let consentState =
    options.globalPrivacyControl && deps.privacySignal ? CONSENT_DENIED : (STARTING_STATE[options.consent!] ?? CONSENT_GRANTED);
  /** A new anonymous identity (first visit, `reset()`, consent withdrawn). */
  const anonymousIdentity = (): Identity => ({ [ANONYMOUS_ID]: uuid(deps.now()) });
  // The stored identity is read by load() once consent allows storing: until then the id is in memory only.
  let identity = anonymousIdentity();
  let session: Session | undefined;
  /** The persisted queue: serialised events, oldest first. The memory copy is the truth for this page load; storage is its backup. */
  const queue: string[] = [];
  /** Events dropped because the queue was full, since the page loaded. */
  let overflowCount = 0;

  /** Writes (or removes, for `undefined`) a key, only with consent; a full or broken storage leaves memory as the copy. */
  const write = (key: string, value?: string): void => {
    if (!(consentState & MAY_STORE)) return;
    try {
      if (value) storage.set(key, value);
      else storage.remove(key);
    } catch {
      // quota or disabled storage: the events stay in memory
    }
  };

  /** Drops the oldest events beyond the bounds, stores the queue and renews the lease that says this page load owns it. */
  const saveQueue = (): void => {
    const lost = trimQueue(queue);
    if (lost) {
      overflowCount += lost;
      report({ code: 'overflow', count: lost, dropped: overflowCount });
    }
    const text = queue.join('\n');
    write(queueKey, text);
    write(leaseKey, text && String(deps.now() + LEASE_MS));
  };
  // ── The dispatcher (dispatcher.ts) ──────────────────────────────────────────────────────
  const dispatcher = createDispatcher(options, deps, scheduler, queue, () => consentState & MAY_SEND, saveQueue, report);
  const sendNow = dispatcher.sendNow;

  /** Stores the identity, the session and the queue. */
  const save = (): void => {
    write(IDENTITY_KEY, JSON.stringify(identity));
    write(SESSION_KEY, session && JSON.stringify(session));
    saveQueue();
  };
  /**
   * The consent choice, identity and session are shared by the tabs and page loads: a choice made
   * since (or before this page load) applies here too; another tab may have identified the user,
   * reset, or kept the session alive, so the stored copies win (memory is the truth until consent).
   */
  const load = (): void => {
    const stored = storage.get(CONSENT_KEY);
    // `!=`: nothing stored (null) is no news at the start (undefined).
    if (stored != storedChoice) {
      storedChoice = stored;
      if (stored) consent(stored as ConsentChoice);
    }
    if (consentState & MAY_STORE) {
      identity = readRecord<Identity>(storage.get(IDENTITY_KEY)) || identity;
      session = readRecord<Session>(storage.get(SESSION_KEY)) || session;
    }
  };

  // ── Events and sessions ───────────────────────────────────────────────────────────────────
  /** A protocol v1 event (docs/protocol.md), the session's next one. */
  const makeEvent = (type: string, fields: Properties, at: number, current: Session): Properties => ({
    type,
    messageId: uuid(at),
    timestamp: iso(at),
    anonymousId: identity[ANONYMOUS_ID],
    userId: identity[USER_ID],
    ...fields,
    context: {
      groupId: identity[GROUP_ID],
      userHash: identity[USER_HASH],
      sessionId: current[SESSION_ID],
      seq: current[NEXT_SEQ]++,
      library: { name: '@uptake/browser', version: VERSION },
      page: deps.page?.(),
    },
  });

  /** Queues an event; one over 32 KB is dropped and reported. */
  const enqueue = (event: Properties): void => {
    const text = JSON.stringify(event);
    if (byteLength(text) > MAX_EVENT_BYTES) report({ code: 'too_large', count: 1 });
    else queue.push(text);
  };

  /** Queues `$session_end`, timestamped with the session's last event. */
  const endSession = (ended: Session): void =>
    enqueue(makeEvent('track', sessionEndFields(ended), ended[LAST_ACTIVITY_AT], ended));

  /**
   * Makes an event of `type` with `fields`, stores it and sends it when a batch is due. `change`
   * first changes the identity, even while consent is denied.
   */
  const record = (type: string, fields: Properties, change?: IdentityChange): void => {
    load();
    if (change) {
      // A user hash belongs to one user.
      if (change[USER_ID] && change[USER_ID] != identity[USER_ID]) identity[USER_HASH] = undefined;
      identity = { ...identity, ...change };
    }
    if (!consentState) return;
    const at = deps.now();
    let current = session;
    if (!current || hasExpired(current, at)) {
      if (current) endSession(current);
      current = session = startSession(at);
      enqueue(makeEvent('track', sessionStartFields(current), at, current));
    }
    current[LAST_ACTIVITY_AT] = at;
    enqueue(makeEvent(type, fields, at, current));
    save();
    if (queue.length >= flushAt) sendNow();
  };

  /** The page is hidden or going away: beacons (unless another tab has denied consent since). */
  const hide = (leaving?: unknown): void => {
    if (leaving) write(leaseKey);
    load();
    dispatcher.sendBeforeHiding();
  };

  /**
   * Runs at the start, on consent and every `flushIntervalMs`: applies a choice another tab made,
   * takes over the queues of page loads that are gone (lease released or expired), saves (renewing
   * our lease) and sends.
   */
  const tick = (): void => {
    load();
    if (consentState & MAY_STORE) {
      queue.unshift(...takeOrphanedQueues(storage, tab, deps.now()));
      save();
    }
    sendNow();
  };

  // ── Consent ───────────────────────────────────────────────────────────────────────────────
  /** The stored choice as this instance last saw it: when the stored one differs, another tab chose since. */
  let storedChoice: string | null | undefined;
  /**
   * Applies a choice and, unless it comes from the browser's privacy signal, stores it for the
   * tabs and the next page loads. Denied forgets everything (memory and storage) but the choice.
   */
  const consent = (choice: boolean | ConsentChoice, fromSignal?: boolean): void => {
    if (choice === true || choice == 'granted') {
      consentState = CONSENT_GRANTED;
      write(CONSENT_KEY, 'granted');
    } else {
      consentState = CONSENT_DENIED;
      queue.length = 0;
      session = undefined;
      identity = anonymousIdentity();
      for (const key of storage.keys()) if (key.startsWith(STORAGE_PREFIX) && key != CONSENT_KEY) storage.remove(key);
      // After removing every other key, there is room for this one.
      if (!fromSignal) storage.set(CONSENT_KEY, 'denied');
    }
    // What is stored now (a full storage may have refused the write): not news for load().
    storedChoice = storage.get(CONSENT_KEY);
    if (consentState) tick();
  };

  // ── Start ─────────────────────────────────────────────────────────────────────────────────
  const ticker = scheduler.setInterval(guard(tick), Math.max(+options.flushIntervalMs! || 5000, 50));
  // Precedence (README "Privacy and consent"): a `consent()` call, then the stored choice (applied
  // by tick's load), then Global Privacy Control, then the `consent` option.
  tick();
  // Denied without a choice stored (the option or the privacy signal): nothing stored stays.
  if (!consentState) consent(false, true);
  const detach = attach?.({
    pageHidden: guard(hide),
    backOnline: guard(dispatcher.retryNow),
  });

  return {
    identify: guard((userId, traits, options) =>
      record('identify', { traits }, options?.userHash ? { [USER_ID]: userId, [USER_HASH]: options.userHash } : { [USER_ID]: userId }),
    ),
    group: guard((accountId, traits) => record('group', { groupId: accountId, traits }, { [GROUP_ID]: accountId })),
    track: guard((event, properties) => record('track', { event, properties })),
    page: guard((name, properties) => record('page', { name, properties: { ...deps.page?.(), ...properties } })),
    flush: sendNow,
    reset: guard(() => {
      load();
      if (session && consentState) endSession(session);
      session = undefined;
      identity = anonymousIdentity();
      save();
    }),
    consent: guard(consent),
    onError: (listener) => void listeners.push(listener),
    close: () => {
      scheduler.clearInterval(ticker);
      dispatcher.stopRetrying();
      detach?.();
    },
  };
};
