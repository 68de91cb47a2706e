import { backoff, retryAfterMs } from './backoff.js';
import {
  LEASE_MS,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BEACON_BYTES,
  MAX_EVENT_BYTES,
  MAX_QUEUE_CHARS,
  MAX_QUEUE_EVENTS,
  SESSION_TIMEOUT_MS,
} from './limits.js';
import type { CoreDeps, HttpAnswer, Options, Properties, Uptake, UptakeError } from './types.js';
import { uuid } from './uuid.js';
import { VERSION } from './version.js';

/** Who is sending: anonymous id, user id, current account, identity-verification hash. */
type Identity = { a: string; u?: string; g?: string; h?: string };
type IdentityPatch = Omit<Identity, 'a'>;
/** A session: id, next sequence number, start and last activity (ms). */
type Session = { i: string; n: number; t: number; l: number };

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

const PREFIX = 'uptake.';
const IDENTITY_KEY = 'uptake.id';
const SESSION_KEY = 'uptake.s';
/** One queue per page load (`uptake.q.<tab>`) with its lease (`uptake.l.<tab>`): tabs never write each other's. */
const QUEUE_PREFIX = 'uptake.q.';
const LEASE_PREFIX = 'uptake.l.';

const PENDING = 0;
const GRANTED = 1;
const DENIED = 2;

const iso = (ms: number): string => new Date(ms).toISOString();

const parse = (text: string | null): unknown => {
  try {
    return text && JSON.parse(text);
  } catch {
    // not JSON: as if absent
  }
};

/**
 * Creates an instance (the default one and `createUptake`'s): the SDK engine, i.e. event factory,
 * sessions, the persisted queue, batching and the retry policy.
 * It never touches `window`, `document`, `localStorage` or `fetch`; the browser layer passes them in,
 * and `attach` (the browser's `attachPageHooks`) wires the page's life to its {@link PageHooks}
 * until `close()`, which calls the function `attach` returns.
 * Every call catches and reports its own errors.
 *
 * @example
 * const core = createCore({ writeKey: 'wk_1', host: 'https://uptake.example.com' }, {
 *   storage: memoryStore(), transport: myTransport, now: Date.now, random: Math.random,
 * });
 * core.track('Report Created');
 */
export const createCore = (options: Options, deps: CoreDeps, attach?: (hooks: PageHooks) => () => void): Uptake => {
  const { storage, transport, now, random } = deps;
  const encoder = new TextEncoder();
  const bytes = (text: string): number => encoder.encode(text).length;
  const url = options.host.replace(/\/+$/, '') + '/v1/batch';
  const flushAt = Math.min(Math.max(options.flushAt || 20, 1), MAX_BATCH_EVENTS);
  const tab = uuid(now());
  const queueKey = QUEUE_PREFIX + tab;
  const leaseKey = LEASE_PREFIX + tab;
  const listeners: Array<(error: UptakeError) => void> = [];

  // `consent: 'denied'` is applied below by consent(false), which also clears what is stored.
  let state = options.consent == 'pending' ? PENDING : GRANTED;
  /** A new anonymous identity (first visit, `reset()`, consent withdrawn). */
  const anonymous = (): Identity => ({ a: uuid(now()) });
  let identity = (parse(storage.get(IDENTITY_KEY)) as Identity | undefined) || anonymous();
  let session: Session | undefined;
  /** Serialised events, oldest first. The memory copy is the truth for this tab; storage is its backup. */
  let queue: string[] = [];
  /** Events already handed to sendBeacon: not beaconed twice, but still sent (and kept) until a 200. */
  const beaconed = new Set<string>();
  let inflight: Promise<void> | undefined;
  let sending = false;
  /** No request before this time (backoff or Retry-After). */
  let until = 0;
  let attempt = 0;
  let maxEvents = MAX_BATCH_EVENTS;
  let dropped = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

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
  const fail = (error: unknown): void => report({ code: 'exception', error });
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R | undefined => {
      try {
        return fn(...args);
      } catch (error) {
        fail(error);
      }
    };

  /** Writes (or removes, for `undefined`) a key, only with consent; a full or broken storage leaves memory as the copy. */
  const write = (key: string, value?: string): void => {
    if (state != GRANTED) return;
    try {
      if (value) storage.set(key, value);
      else storage.remove(key);
    } catch {
      // quota or disabled storage: the events stay in memory
    }
  };

  const saveQueue = (): void => {
    let size = queue.join('\n').length;
    let lost = 0;
    while (queue.length > MAX_QUEUE_EVENTS || size > MAX_QUEUE_CHARS) {
      size -= queue.shift()!.length + 1;
      lost++;
    }
    if (lost) {
      dropped += lost;
      report({ code: 'overflow', count: lost, dropped });
    }
    const text = queue.join('\n');
    write(queueKey, text);
    write(leaseKey, text && String(now() + LEASE_MS));
  };
  /** Stores the identity, the session and the queue (with the lease that says this page load owns it). */
  const save = (): void => {
    write(IDENTITY_KEY, JSON.stringify(identity));
    write(SESSION_KEY, session && JSON.stringify(session));
    saveQueue();
  };
  /**
   * Identity and session are shared by the tabs: another tab may have identified the user, reset,
   * or kept the session alive, so the stored copies win (memory is the truth until consent).
   */
  const load = (): void => {
    if (state != GRANTED) return;
    identity = (parse(storage.get(IDENTITY_KEY)) as Identity | undefined) || identity;
    session = (parse(storage.get(SESSION_KEY)) as Session | undefined) || session;
  };

  const event = (type: string, fields: Properties, at: number, current: Session): Properties => ({
    type,
    messageId: uuid(at),
    timestamp: iso(at),
    anonymousId: identity.a,
    userId: identity.u,
    ...fields,
    context: {
      groupId: identity.g,
      userHash: identity.h,
      sessionId: current.i,
      seq: current.n++,
      library: { name: '@uptake/browser', version: VERSION },
      page: deps.page?.(),
    },
  });

  const push = (item: Properties): void => {
    const text = JSON.stringify(item);
    const size = bytes(text);
    if (size > MAX_EVENT_BYTES) {
      report({ code: 'too_large', count: 1 });
    } else {
      queue.push(text);
    }
  };

  const endSession = (current: Session): void =>
    push(event('track', { event: '$session_end', properties: { sessionId: current.i, durationMs: current.l - current.t } }, current.l, current));

  /**
   * Makes an event of `type` with `fields`, stores it and sends it when a batch is due. `patch` first
   * changes the identity (`u` user id, `g` account, `h` user hash), even while consent is denied.
   */
  const send = (type: string, fields: Properties, patch?: IdentityPatch): void => {
    load();
    if (patch) {
      if (patch.u && patch.u != identity.u) identity.h = undefined;
      identity = { ...identity, ...patch };
    }
    if (state == DENIED) return;
    const at = now();
    let current = session;
    if (!current || at - current.l > SESSION_TIMEOUT_MS) {
      if (current) endSession(current);
      current = session = { i: uuid(at), n: 0, t: at, l: at };
      push(event('track', { event: '$session_start', properties: { sessionId: current.i } }, at, current));
    }
    current.l = at;
    push(event(type, fields, at, current));
    save();
    if (queue.length >= flushAt) flush();
  };

  const envelope = (items: string[]): string =>
    `{"writeKey":${JSON.stringify(options.writeKey)},"sentAt":"${iso(now())}","batch":[${items.join(',')}]}`;

  /** The longest run of `items` from the start that fits `max` events and `limit` bytes (at least one). */
  const take = (items: string[], max: number, limit: number): string[] => {
    let size = bytes(envelope([]));
    let count = 0;
    for (const item of items) {
      size += bytes(item) + 1;
      if (count >= max || (count && size > limit)) break;
      count++;
    }
    return items.slice(0, count);
  };

  const remove = (items: string[]): void => {
    const sent = new Set(items);
    queue = queue.filter((item) => !sent.has(item));
    if (!queue.length) beaconed.clear();
    saveQueue();
  };

  /** One sending loop at a time; `sending` is cleared in the same turn as the loop's last check. */
  const drain = async (): Promise<void> => {
    sending = true;
    try {
      while (state == GRANTED && queue.length && now() >= until) {
        const batch = take(queue, maxEvents, MAX_BATCH_BYTES);
        let answer: HttpAnswer;
        try {
          answer = await transport.post(url, envelope(batch));
        } catch {
          answer = { status: 0 };
        }
        const status = answer.status;
        const kind = (status / 100) | 0;
        if (status == 413 && batch.length > 1) {
          // Too large for the service (or a proxy in front of it): send half as many from now on.
          maxEvents = batch.length >> 1;
        } else if (kind == 2) {
          attempt = 0;
          remove(batch);
          const rejected = (answer.body as UptakeError | undefined)?.rejected;
          if (rejected?.length) {
            report({ code: 'rejected', status, count: rejected.length, rejected });
          }
        } else if (kind == 4 && status != 408 && status != 429) {
          remove(batch);
          report({ code: 'dropped', status, count: batch.length });
        } else {
          // Network down, 429, 5xx: wait as told, else back off, and keep the events.
          const wait = retryAfterMs(answer.retryAfter, now()) ?? backoff(attempt++, random);
          until = now() + wait;
          clearTimeout(retryTimer);
          retryTimer = setTimeout(flush, wait);
        }
      }
    } catch (error) {
      fail(error);
    }
    sending = false;
  };

  const flush = (): Promise<void> => (sending ? inflight! : (inflight = drain()));

  const hide = (leaving?: boolean): void => {
    if (leaving) write(leaseKey);
    if (state != GRANTED || now() < until) return;
    let rest = queue.filter((item) => !beaconed.has(item));
    while (rest.length) {
      const batch = take(rest, MAX_BATCH_EVENTS, MAX_BEACON_BYTES);
      if (!transport.beacon(url, envelope(batch))) return;
      for (const item of batch) beaconed.add(item);
      rest = rest.slice(batch.length);
    }
  };

  /** Takes over the queues of page loads that are gone (lease released or expired) and renews our own lease. */
  const adopt = (): void => {
    const at = now();
    const found: string[] = [];
    for (const key of storage.keys()) {
      const owner = /^uptake\.[lq]\.(.+)/.exec(key)?.[1];
      if (owner && owner != tab && !(+storage.get(LEASE_PREFIX + owner)! > at)) {
        if (key[7] == 'q') found.push(...(storage.get(key) || '').split('\n').filter(Boolean));
        storage.remove(key);
      }
    }
    queue = found.concat(queue);
    saveQueue();
  };

  const tick = (): void => {
    if (state != GRANTED) return;
    adopt();
    flush();
  };

  const consent = (granted: boolean): void => {
    if (!granted) {
      state = DENIED;
      queue = [];
      beaconed.clear();
      session = undefined;
      identity = anonymous();
      for (const key of storage.keys()) if (key.startsWith(PREFIX)) storage.remove(key);
    } else if (state != GRANTED) {
      state = GRANTED;
      save();
      tick();
    }
  };

  const ticker = setInterval(guard(tick), Math.max(options.flushIntervalMs || 5000, 50));
  if (options.consent == 'denied') consent(false); // as if just refused: nothing stored stays
  load();
  save();
  tick();
  const detach = attach?.({
    hide: guard(hide),
    online: guard(() => {
      until = 0;
      clearTimeout(retryTimer);
      flush();
    }),
  });

  return {
    identify: guard((userId, traits, options) =>
      send('identify', { traits }, options?.userHash ? { u: userId, h: options.userHash } : { u: userId }),
    ),
    group: guard((accountId, traits) => send('group', { groupId: accountId, traits }, { g: accountId })),
    track: guard((event, properties) => send('track', { event, properties })),
    page: guard((name, properties) => send('page', { name, properties: { ...deps.page?.(), ...properties } })),
    flush,
    reset: guard(() => {
      load();
      if (session && state != DENIED) endSession(session);
      session = undefined;
      identity = anonymous();
      save();
    }),
    consent: guard(consent),
    onError: (listener) => void listeners.push(listener),
    close: () => {
      clearInterval(ticker);
      clearTimeout(retryTimer);
      detach?.();
    },
  };
};
