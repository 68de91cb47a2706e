/** Free-form event properties and traits: any JSON-serialisable values. */
export type Properties = Record<string, unknown>;

/** Traits of a user (`identify`). The named ones are the ones Uptake understands; any other is kept. */
export type UserTraits = Properties & {
  email?: string;
  name?: string;
  role?: string;
  /** Marks the account's champion (used by the `champion-disengaged` segment). */
  isChampion?: boolean;
  /** ISO date or date-time. */
  createdAt?: string;
};

/** Traits of an account (`group`). `seats` are the licences bought; utilisation is active users ÷ seats. */
export type AccountTraits = Properties & {
  name?: string;
  plan?: string;
  seats?: number;
  /** ISO date or date-time. */
  onboardedAt?: string;
  trial?: boolean;
};

/**
 * The `consent` option: where to start when this browser has no stored choice (README "Privacy and
 * consent"). `'pending'`: nothing is stored or sent until `consent(true)`. `'anonymous'`: events are
 * sent with an id kept in memory only, nothing is stored until `consent(true)`. `'denied'`: as a
 * `consent(false)` call. Default `'granted'`.
 */
export type ConsentState = 'pending' | 'anonymous' | 'granted' | 'denied';

/** What `consent()` takes besides `true` / `false`. */
export type ConsentChoice = 'granted' | 'denied';

/** An instance made by `createUptake`; the default instance's named exports are the same calls. */
export type Uptake = {
  identify(userId: string, traits?: UserTraits, options?: IdentifyOptions): void;
  group(accountId: string, traits?: AccountTraits): void;
  track(event: string, properties?: Properties): void;
  page(name?: string, properties?: Properties): void;
  flush(): Promise<void>;
  reset(): void;
  /** Gives (`true`, `'granted'`) or refuses (`false`, `'denied'`) consent; the choice is remembered. */
  consent(choice: boolean | ConsentChoice): void;
  onError(listener: (error: UptakeError) => void): void;
  /** Stops timers and page listeners. */
  close(): void;
};

/** Options of {@link init}. */
export type Options = {
  /** The project's public write key. */
  writeKey: string;
  /** Base URL of the Uptake service, e.g. `https://uptake.example.com` (events go to `host + '/v1/batch'`). */
  host: string;
  /** Send as soon as this many events are waiting (1–500, default 20). */
  flushAt?: number;
  /** Send waiting events at least this often, in ms (default 5000). */
  flushIntervalMs?: number;
  /** Where the queue, ids and session live: `'localStorage'` (default; memory when unavailable) or `'memory'`. */
  persistence?: 'localStorage' | 'memory';
  /** Default `'granted'`. With `'pending'` nothing is stored or sent until `consent(true)`. A stored choice wins (README). */
  consent?: ConsentState;
  /**
   * Honour Global Privacy Control: when the browser sends it (`navigator.globalPrivacyControl === true`),
   * treat consent as denied unless it is granted explicitly (a `consent(true)` call, now or stored).
   */
  globalPrivacyControl?: boolean;
  /** Log errors and every send to the console. */
  debug?: boolean;
};

export type IdentifyOptions = {
  /** `hex(HMAC-SHA256(identitySecret, userId))`, computed by your backend (identity verification). */
  userHash?: string;
};

/** What `onError` listeners receive. Nothing the SDK does ever throws into your app; it reports here. */
export type UptakeError = {
  /**
   * - `rejected`: the service stored the batch but refused some events (see `rejected`); they are not retried.
   * - `dropped`: the service answered 4xx (bad key, malformed…); the batch was dropped.
   * - `overflow`: the stored queue was full; the oldest events were dropped.
   * - `too_large`: one event was over 32 KB and was dropped.
   * - `exception`: something unexpected (e.g. properties that cannot be serialised).
   */
  code: 'rejected' | 'dropped' | 'overflow' | 'too_large' | 'exception';
  /** Events concerned. */
  count?: number;
  /** Events dropped for overflow since the page loaded. */
  dropped?: number;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The service's `rejected[]`: `{ index, messageId, errors: [{ path, message }] }`. */
  rejected?: Array<{ index: number; messageId?: string; errors: Array<{ path: string; message: string }> }>;
  /** The exception, for `exception`. */
  error?: unknown;
};

/** A key-value store (localStorage in browsers, a Map elsewhere). */
export type KeyValueStore = {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
  keys(): string[];
};

/** The answer of one `POST /v1/batch`. `status` 0 means the request failed (network, CORS). */
export type HttpAnswer = { status: number; retryAfter?: string | null; body?: unknown };

export type Transport = {
  /** POSTs a `text/plain` body; rejects (or answers status 0) on network failure. */
  post(url: string, body: string): Promise<HttpAnswer>;
  /** Hands a body to `navigator.sendBeacon`; `false` when the browser refused it. */
  beacon(url: string, body: string): boolean;
};

export type PageContext = { url: string; path: string; referrer: string; title: string };

/** Everything the platform-free core needs from its host. */
export type CoreDeps = {
  storage: KeyValueStore;
  transport: Transport;
  /** Clock, in ms since the epoch. */
  now(): number;
  /** Uniform in [0, 1), for retry jitter. */
  random(): number;
  /** The current page, added to every event as `context.page`. */
  page?(): PageContext | undefined;
  /** The browser's Global Privacy Control signal (`navigator.globalPrivacyControl === true`), honoured with the `globalPrivacyControl` option. */
  privacySignal?: boolean;
};

/**
 * Timers, passed to the core so that it never reaches for globals: the browser layer passes the
 * global object (its own `setTimeout` …), a test its own clock.
 */
export type Scheduler = {
  /** Runs `run` once after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(run: () => void, ms: number): unknown;
  /** Cancels a timer of `setTimeout` (or nothing, for `undefined`). */
  clearTimeout(timer: unknown): void;
  /** Runs `run` every `ms`; returns a handle for `clearInterval`. */
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(timer: unknown): void;
};
