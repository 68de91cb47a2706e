/**
 * The independent oracle: every figure defined in docs/api.md (Definitions) computed in plain TypeScript straight from the
 * list of events as they were sent. Written without looking at the service's SQL; the query tests
 * compare the API's answers with these functions on generated data.
 *
 * Semantics encoded here (docs/api.md, Definitions, made precise):
 *
 * - Input: the list of events as sent (protocol v1: type, messageId, timestamp, userId?,
 *   anonymousId?, event / name, properties, traits, groupId, context.groupId). Every event is
 *   taken as accepted; events with a messageId already seen earlier in the list are dropped
 *   (duplicates count once, the first copy is kept).
 * - Days are UTC days (`YYYY-MM-DD`). A window of N days as of day d is d−(N−1) … d inclusive.
 * - Snapshot: an answer "as of" day d is computed from the events whose timestamp falls on a UTC
 *   day ≤ d, and from nothing else — identify links, group joins and traits included. (So
 *   `utilisation30dAgo` is the utilisation computed by the same rule as of d−30.)
 * - Identity: an `identify` with both userId and anonymousId links that anonymousId to the userId;
 *   the FIRST link of an anonymousId in list (arrival) order wins. An event's user is its userId;
 *   else the user its anonymousId is linked to (events earlier than the link included); else it
 *   has no user (an unlinked anonymous visitor belongs to no user and counts for no user figure).
 * - Account of an event: `group` → groupId; otherwise context.groupId, else (track/page)
 *   properties.accountId (a number is taken as its decimal text). If none, the event belongs to
 *   every account its (resolved) user joined through a `group` call (at any time ≤ the snapshot
 *   day, before or after the event). Events without account and without user belong to nothing.
 *   This rule applies to every event type (it matters only for "first seen").
 * - Joining: a `group` call joins its resolved user to its groupId. A call sent with only an
 *   anonymousId therefore joins the user an identify links that anonymousId to — as of a day d
 *   only when that identify is on a day ≤ d (before it, the call is nobody's and joins no one);
 *   from then on the user is a member from the call's own time, like every earlier event of the
 *   anonymousId. Of several calls joining one user to one account, the earliest in time counts,
 *   whatever order they arrive in (a late call with an older timestamp moves the join earlier).
 * - Users of an account (members) = users who joined it via `group`, plus users with events
 *   naming it — i.e. every user with at least one event belonging to the account.
 * - Seen: a user is seen once any event resolves to them; an account once any event belongs to it.
 *   First seen = UTC day of the earliest such event.
 * - Traits: account traits merged from its `group` calls in timestamp order (later wins; list order
 *   breaks timestamp ties): seats (number; numeric text taken as number), onboardedAt (ISO date or
 *   date-time; compared by its UTC day), trial (boolean), name, plan. User traits from `identify`
 *   calls (of the resolved user) likewise: isChampion, role, email, createdAt.
 * - Active on day d: at least one `track` or `page` event that day, excluding `$nps_*` and `$message_*` events
 *   (`$session_*` count). Account activity = activity in the account's events.
 * - DAU(d) = distinct active users on d; WAU(d) over d−6…d; MAU(d) over d−29…d;
 *   stickiness = DAU/MAU (a ratio; 0 when MAU is 0). Per project, or per account (only that
 *   account's events).
 * - Score model `{ version, features?: { [event]: { weight, label, valueText? } }, windowDays = 30,
 *   dailyCap = 20 }`; `features` absent = the default model v1: every non-reserved `track` event
 *   (name not starting with `$`) has weight 1 and its name as label. Only `track` events are
 *   features. User score = Σ_f weight_f × Σ_{days in window} min(count(u, f, day), dailyCap).
 *   Breakdown: one row per feature with count > 0, `{ event, label, count (capped sum), weight,
 *   points = weight × count }`, sorted by event name.
 * - Account score = Σ over users of the same quantity over the events belonging to the account (the
 *   cap applies per user, feature and day; events without a user do not count). `activeUsers` =
 *   users active in the score window in the account's events; `perActiveUser` = score ÷ activeUsers
 *   (0 when none).
 * - percentile = round(100 × percent_rank) (half up) of the score among all of the project's users
 *   (or accounts) seen as of the day; percent_rank = (number with a strictly lower score) / (n − 1),
 *   0 when n = 1. Unseen users/accounts score 0 and have percentile null.
 * - Utilisation of an account as of d: distinct active users (in the account's events) in d−29…d ÷
 *   seats (as of d); null when seats are unknown or 0. `utilisation30dAgo`: the same as of d−30;
 *   `change` = utilisation ÷ utilisation30dAgo − 1, null when either is null or the older is 0.
 * - NPS over the days [from, to] (default the 90 days ending at asOf): the latest `$nps_response`
 *   (by timestamp, list order breaking ties) per user among those days; properties.score 9–10
 *   promoter, 7–8 passive, 0–6 detractor; nps = round(100 × (promoters − detractors) ÷ responses),
 *   rounding halves AWAY FROM ZERO (as Postgres `round(numeric)`: −12.5 → −13); null when there
 *   are no responses. Per account: only the account's events.
 * - Threshold comparisons of ratios use a 1e-9 tolerance so a value equal to a threshold on paper
 *   (e.g. change = 0.55 / 0.5 − 1 = 0.1) counts as equal, not as a float a hair above it.
 * - Built-in segments as of d (thresholds in {@link DEFAULT_SEGMENT_THRESHOLDS}):
 *   · post-onboarding (accounts): onboardedAt day ≤ d, or account first seen ≤ d−30.
 *   · low-utilization: utilisation not null and < 0.6.
 *   · rising-utilization: change not null and > 0.10.
 *   · usage-drop: active user-days (distinct user × day) in d−29…d ≤ 0.7 × those in d−59…d−30,
 *     and the latter > 0.
 *   · weekly-active: an active user in each of the 4 seven-day blocks ending at d (d−6…d,
 *     d−13…d−7, d−20…d−14, d−27…d−21).
 *   · top: rank seen accounts by score desc; k = ceil(0.1 × n); cut = the k-th score; members are
 *     accounts with score ≥ cut (ties at the cut are all in) and score > 0.
 *   · low-engagement-after-onboarding: onboardedAt day in d−60…d−30 inclusive and percentile ≤ 25.
 *   · champion-disengaged: a member with trait isChampion === true has no activity in the
 *     account's events in d−13…d.
 *   · trial-ready: trait trial === true and percent_rank of the score among trial accounts ≥ 0.75
 *     (a lone trial account has percent_rank 0).
 *   · expansion-ready: utilisation ≥ 0.9.
 *   · new-users (users): first seen ≥ d−6.
 *   · dormant (users): active in d−43…d−14 and not active in d−13…d (project-wide).
 *   · feature-unused:<event> (users): active in d−29…d and no `track` <event> at any day ≤ d;
 *     it exists only for the features the score model names (none under v1).
 *   · nps-promoters / nps-passives / nps-detractors (users): by the latest response in d−89…d.
 *
 * Every call is O(events × accounts) at worst, clear rather than clever (~20 k events: 10–100 ms).
 */

import { oracleHealth } from './health-oracle.ts';

// ————————————————————————————————————————————————————————— input

/** One event as sent (protocol v1). The generator produces these; the ingest helper posts them. */
export type OracleEvent = {
  type: 'identify' | 'group' | 'track' | 'page';
  messageId: string;
  timestamp: string;
  userId?: string;
  anonymousId?: string;
  /** `track`: the event name. */
  event?: string;
  /** `page`: the page name. */
  name?: string;
  /** `group`: the account id. */
  groupId?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: { groupId?: string } & Record<string, unknown>;
};

export type Day = string;

export type FeatureSpec = { weight: number; label: string; valueText?: string };

/** A score model; `features` absent means the default v1 rule (every non-`$` track event, weight 1). */
export type OracleScoreModel = {
  version: number;
  features?: Record<string, FeatureSpec>;
  windowDays?: number;
  dailyCap?: number;
};

export const DEFAULT_SCORE_MODEL: OracleScoreModel = { version: 1, windowDays: 30, dailyCap: 20 };

export const DEFAULT_SEGMENT_THRESHOLDS = {
  /** post-onboarding: an account first seen at least this many days before asOf. */
  postOnboardingFirstSeenDays: 30,
  /** low-utilization: utilisation strictly below. */
  lowUtilisation: 0.6,
  /** rising-utilization: change strictly above. */
  risingUtilisationChange: 0.1,
  /** usage-drop: user-days of the last period ≤ this share of the period before. */
  usageDropRatio: 0.7,
  usageDropPeriodDays: 30,
  /** weekly-active: active in each of this many 7-day blocks ending at asOf. */
  weeklyActiveWeeks: 4,
  /** top: this share of accounts (rounded up). */
  topShare: 0.1,
  /** low-engagement-after-onboarding: onboardedAt between asOf−from and asOf−to days inclusive… */
  lowEngagementOnboardedFromDays: 60,
  lowEngagementOnboardedToDays: 30,
  /** …and percentile ≤ this. */
  lowEngagementMaxPercentile: 25,
  /** champion-disengaged: a champion with no activity in this many days ending at asOf. */
  championQuietDays: 14,
  /** trial-ready: percent_rank among trial accounts ≥ this. */
  trialReadyPercentRank: 0.75,
  /** expansion-ready: utilisation ≥ this. */
  expansionUtilisation: 0.9,
  /** new-users: first seen within this many days ending at asOf. */
  newUserDays: 7,
  /** dormant: no activity in the last `dormantQuietDays`, some in the `dormantLookbackDays` before. */
  dormantQuietDays: 14,
  dormantLookbackDays: 30,
  /** feature-unused: active within this many days ending at asOf. */
  featureUnusedActiveDays: 30,
  /** nps-*: latest response within this many days ending at asOf. */
  npsWindowDays: 90,
};
export type SegmentThresholds = typeof DEFAULT_SEGMENT_THRESHOLDS;

export const BUILT_IN_SEGMENTS = {
  'post-onboarding': 'accounts',
  'low-utilization': 'accounts',
  'rising-utilization': 'accounts',
  'usage-drop': 'accounts',
  'weekly-active': 'accounts',
  top: 'accounts',
  'low-engagement-after-onboarding': 'accounts',
  'champion-disengaged': 'accounts',
  'trial-ready': 'accounts',
  'expansion-ready': 'accounts',
  'health-red': 'accounts',
  'new-users': 'users',
  dormant: 'users',
  'nps-promoters': 'users',
  'nps-passives': 'users',
  'nps-detractors': 'users',
} as const;
export type BuiltInSegmentKey = keyof typeof BUILT_IN_SEGMENTS | `feature-unused:${string}`;

// ————————————————————————————————————————————————————————— days and numbers

const DAY_MS = 86_400_000;

/** UTC day of an ISO date or date-time. */
export function dayOf(isoDateOrTime: string): Day {
  // Fast path for what the generator sends (…Z); anything else goes through Date.
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)?$/.test(isoDateOrTime)) return isoDateOrTime.slice(0, 10);
  return new Date(isoDateOrTime).toISOString().slice(0, 10);
}

/** `day` moved by `n` days (n may be negative). */
export function addDays(day: Day, n: number): Day {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included. */
export function daysFrom(from: Day, to: Day): Day[] {
  const days: Day[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The first day of the N-day window ending at `day`. */
const windowStart = (day: Day, n: number): Day => addDays(day, -(n - 1));
const inDays = (day: Day, from: Day, to: Day) => day >= from && day <= to;

const EPSILON = 1e-9;
const lessThan = (x: number, threshold: number) => x < threshold - EPSILON;
const atLeast = (x: number, threshold: number) => x >= threshold - EPSILON;
const moreThan = (x: number, threshold: number) => x > threshold + EPSILON;
const atMost = (x: number, threshold: number) => x <= threshold + EPSILON;

/** round half away from zero, as Postgres `round(numeric)`. */
export function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** (number of scores strictly lower) / (n − 1); 0 when n ≤ 1. */
export function percentRank(score: number, allScores: readonly number[]): number {
  if (allScores.length <= 1) return 0;
  return allScores.filter((other) => other < score).length / (allScores.length - 1);
}

/**
 * round(100 × percent_rank), half up, in exact arithmetic: 100 × lower is divided once, since
 * 100 × (23 / 40) in floating point is 57.49999… and would round down where 57.5 rounds up.
 */
export function percentileOf(score: number, allScores: readonly number[]): number {
  if (allScores.length <= 1) return 0;
  return Math.round((100 * allScores.filter((other) => other < score).length) / (allScores.length - 1));
}

/** Events of Uptake's own prompts: NPS answers and campaign messages (not use of the product). */
const isPromptEvent = (name: string) => name.startsWith('$nps_') || name.startsWith('$message_');
const sortedIds = (ids: Iterable<string>) => [...ids].sort();

// ————————————————————————————————————————————————————————— snapshot: events resolved to users and accounts

export type ResolvedEvent = {
  source: OracleEvent;
  /** Position in the deduplicated list (arrival order). */
  order: number;
  time: number;
  day: Day;
  /** The resolved user (userId, or the user the anonymousId is linked to), or null. */
  user: string | null;
  /** The account the event names, if any. */
  namedAccount: string | null;
  /** The accounts it belongs to: [namedAccount], or the accounts its user joined. */
  accounts: string[];
  /** A track or page event that is not `$nps_*` or `$message_*`. */
  isActivity: boolean;
};

export type Snapshot = {
  asOf: Day;
  events: ResolvedEvent[];
  /** anonymousId → userId (first link wins). */
  links: Map<string, string>;
  userTraits: Map<string, Record<string, unknown>>;
  accountTraits: Map<string, Record<string, unknown>>;
  userFirstSeen: Map<string, Day>;
  accountFirstSeen: Map<string, Day>;
  /** account → its users. */
  members: Map<string, Set<string>>;
};

function namedAccountOf(event: OracleEvent): string | null {
  if (event.type === 'group') return event.groupId ?? null;
  const fromContext = event.context?.groupId as unknown;
  if ((typeof fromContext === 'string' && fromContext !== '') || typeof fromContext === 'number') return String(fromContext);
  if (event.type === 'track' || event.type === 'page') {
    const fromProperties = event.properties?.['accountId'];
    if ((typeof fromProperties === 'string' && fromProperties !== '') || typeof fromProperties === 'number') return String(fromProperties);
  }
  return null;
}

function addToSetMap<K, V>(map: Map<K, Set<V>>, key: K, value: V) {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function keepEarliest(map: Map<string, Day>, key: string, day: Day) {
  const current = map.get(key);
  if (current === undefined || day < current) map.set(key, day);
}

/**
 * Resolves every event with a UTC day ≤ `asOf` to its user and accounts, merges traits, and notes
 * first-seen days and members. Every other oracle function starts here.
 *
 * @example
 * const s = oracleSnapshot(events, '2026-03-31');
 * s.events.filter((e) => e.user === 'u1' && e.isActivity).length;
 */
export function oracleSnapshot(events: readonly OracleEvent[], asOf: Day): Snapshot {
  // 1. Duplicates count once (first copy), and only events up to the end of asOf count.
  const seenIds = new Set<string>();
  const kept: OracleEvent[] = [];
  for (const event of events) {
    if (seenIds.has(event.messageId)) continue;
    seenIds.add(event.messageId);
    if (dayOf(event.timestamp) <= asOf) kept.push(event);
  }

  // 2. Identity links, first one (in arrival order) per anonymousId.
  const links = new Map<string, string>();
  for (const event of kept) {
    if (event.type === 'identify' && event.userId && event.anonymousId && !links.has(event.anonymousId)) {
      links.set(event.anonymousId, event.userId);
    }
  }
  const userOf = (event: OracleEvent): string | null =>
    event.userId ?? (event.anonymousId !== undefined ? (links.get(event.anonymousId) ?? null) : null);

  // 3. Accounts each user joined with a group call (at any time up to asOf), anonymous calls
  //    through the links above: only whether some call is on a day ≤ asOf matters, not which.
  const joined = new Map<string, Set<string>>();
  for (const event of kept) {
    const user = userOf(event);
    if (event.type === 'group' && event.groupId && user) addToSetMap(joined, user, event.groupId);
  }

  // 4. Each event: its user, its accounts.
  const resolved: ResolvedEvent[] = kept.map((event, order) => {
    const user = userOf(event);
    const namedAccount = namedAccountOf(event);
    const accounts = namedAccount !== null ? [namedAccount] : user !== null ? [...(joined.get(user) ?? [])] : [];
    const isActivity = event.type === 'page' || (event.type === 'track' && !isPromptEvent(event.event ?? ''));
    const time = Date.parse(event.timestamp);
    return { source: event, order, time, day: dayOf(event.timestamp), user, namedAccount, accounts, isActivity };
  });

  // 5. Traits: merged in timestamp order, later wins.
  const byTime = [...resolved].sort((a, b) => a.time - b.time || a.order - b.order);
  const userTraits = new Map<string, Record<string, unknown>>();
  const accountTraits = new Map<string, Record<string, unknown>>();
  for (const event of byTime) {
    const traits = event.source.traits ?? {};
    if (event.source.type === 'identify' && event.user !== null) {
      userTraits.set(event.user, { ...userTraits.get(event.user), ...traits });
    }
    if (event.source.type === 'group' && event.source.groupId) {
      accountTraits.set(event.source.groupId, { ...accountTraits.get(event.source.groupId), ...traits });
    }
  }

  // 6. First seen, members.
  const userFirstSeen = new Map<string, Day>();
  const accountFirstSeen = new Map<string, Day>();
  const members = new Map<string, Set<string>>();
  for (const event of resolved) {
    if (event.user !== null) keepEarliest(userFirstSeen, event.user, event.day);
    for (const account of event.accounts) {
      keepEarliest(accountFirstSeen, account, event.day);
      if (event.user !== null) addToSetMap(members, account, event.user);
    }
  }
  return { asOf, events: resolved, links, userTraits, accountTraits, userFirstSeen, accountFirstSeen, members };
}

/** The snapshot's events, optionally only those belonging to one account. */
function eventsOf(snapshot: Snapshot, accountId?: string): ResolvedEvent[] {
  return accountId === undefined ? snapshot.events : snapshot.events.filter((event) => event.accounts.includes(accountId));
}

/** Distinct users active in [from, to] among the given events. */
function activeUsersIn(events: readonly ResolvedEvent[], from: Day, to: Day): Set<string> {
  const users = new Set<string>();
  for (const event of events) if (event.isActivity && event.user !== null && inDays(event.day, from, to)) users.add(event.user);
  return users;
}

/** Distinct (user, day) pairs with activity in [from, to]. */
function activeUserDaysIn(events: readonly ResolvedEvent[], from: Day, to: Day): number {
  const pairs = new Set<string>();
  for (const event of events) if (event.isActivity && event.user !== null && inDays(event.day, from, to)) pairs.add(`${event.user}\u0000${event.day}`);
  return pairs.size;
}

// ————————————————————————————————————————————————————————— scores

export type BreakdownRow = { event: string; label: string; count: number; weight: number; points: number };
export type ScoreWindow = { from: Day; to: Day };

function featureSpec(model: OracleScoreModel, eventName: string): FeatureSpec | null {
  if (model.features) return model.features[eventName] ?? null;
  return eventName.startsWith('$') ? null : { weight: 1, label: eventName };
}

function scoreWindow(model: OracleScoreModel, asOf: Day): ScoreWindow {
  return { from: windowStart(asOf, model.windowDays ?? 30), to: asOf };
}

/** user → feature → capped count in the window (Σ over days of min(count that day, dailyCap)). */
function cappedCountsByUser(events: readonly ResolvedEvent[], model: OracleScoreModel, window: ScoreWindow): Map<string, Map<string, number>> {
  const perDay = new Map<string, number>(); // key user␀feature␀day → raw count
  for (const event of events) {
    if (event.source.type !== 'track' || event.user === null || !inDays(event.day, window.from, window.to)) continue;
    const feature = event.source.event ?? '';
    if (featureSpec(model, feature) === null) continue;
    const key = `${event.user}\u0000${feature}\u0000${event.day}`;
    perDay.set(key, (perDay.get(key) ?? 0) + 1);
  }
  const cap = model.dailyCap ?? 20;
  const result = new Map<string, Map<string, number>>();
  for (const [key, count] of perDay) {
    const [user, feature] = key.split('\u0000') as [string, string, string];
    const features = result.get(user) ?? new Map<string, number>();
    features.set(feature, (features.get(feature) ?? 0) + Math.min(count, cap));
    result.set(user, features);
  }
  return result;
}

function breakdownOf(counts: ReadonlyMap<string, number>, model: OracleScoreModel): BreakdownRow[] {
  return [...counts]
    .filter(([, count]) => count > 0)
    .map(([event, count]) => {
      const spec = featureSpec(model, event)!;
      return { event, label: spec.label, count, weight: spec.weight, points: spec.weight * count };
    })
    .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
}

const totalPoints = (breakdown: readonly BreakdownRow[]) => breakdown.reduce((sum, row) => sum + row.points, 0);

/** Score of every seen user (0 for those without feature use). */
function userScores(snapshot: Snapshot, model: OracleScoreModel): Map<string, { score: number; breakdown: BreakdownRow[] }> {
  const counts = cappedCountsByUser(snapshot.events, model, scoreWindow(model, snapshot.asOf));
  const scores = new Map<string, { score: number; breakdown: BreakdownRow[] }>();
  for (const user of snapshot.userFirstSeen.keys()) {
    const breakdown = breakdownOf(counts.get(user) ?? new Map(), model);
    scores.set(user, { score: totalPoints(breakdown), breakdown });
  }
  return scores;
}

type AccountScoreParts = {
  score: number;
  breakdown: BreakdownRow[];
  activeUsers: number;
  users: { userId: string; score: number }[];
};

function accountScoreParts(snapshot: Snapshot, accountId: string, model: OracleScoreModel): AccountScoreParts {
  const window = scoreWindow(model, snapshot.asOf);
  const events = eventsOf(snapshot, accountId);
  const counts = cappedCountsByUser(events, model, window);
  const summed = new Map<string, number>();
  const users: { userId: string; score: number }[] = [];
  for (const [user, features] of counts) {
    for (const [feature, count] of features) summed.set(feature, (summed.get(feature) ?? 0) + count);
    users.push({ userId: user, score: totalPoints(breakdownOf(features, model)) });
  }
  users.sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1));
  const breakdown = breakdownOf(summed, model);
  return { score: totalPoints(breakdown), breakdown, activeUsers: activeUsersIn(events, window.from, window.to).size, users };
}

function accountScores(snapshot: Snapshot, model: OracleScoreModel): Map<string, AccountScoreParts> {
  const scores = new Map<string, AccountScoreParts>();
  for (const account of snapshot.accountFirstSeen.keys()) scores.set(account, accountScoreParts(snapshot, account, model));
  return scores;
}

export type ScoreOptions = { asOf: Day; model?: OracleScoreModel };

export type OracleUserScore = {
  userId: string;
  /** False when no event (up to asOf) resolves to this user; score is then 0 and percentile null. */
  seen: boolean;
  score: number;
  percentile: number | null;
  model: { version: number };
  window: ScoreWindow;
  /** Features with count > 0, by event name. */
  breakdown: BreakdownRow[];
};

/**
 * A user's engagement score as of a day (GET /v1/users/:userId/score).
 *
 * @example
 * oracleUserScore(events, 'u1', { asOf: '2026-03-31' }).score
 */
export function oracleUserScore(events: readonly OracleEvent[], userId: string, options: ScoreOptions): OracleUserScore {
  const model = options.model ?? DEFAULT_SCORE_MODEL;
  const snapshot = oracleSnapshot(events, options.asOf);
  const scores = userScores(snapshot, model);
  const own = scores.get(userId);
  const all = [...scores.values()].map((entry) => entry.score);
  return {
    userId,
    seen: own !== undefined,
    score: own?.score ?? 0,
    percentile: own ? percentileOf(own.score, all) : null,
    model: { version: model.version },
    window: scoreWindow(model, options.asOf),
    breakdown: own?.breakdown ?? [],
  };
}

export type OracleAccountScore = {
  accountId: string;
  seen: boolean;
  score: number;
  percentile: number | null;
  model: { version: number };
  window: ScoreWindow;
  breakdown: BreakdownRow[];
  /** Users active in the window in this account's events. */
  activeUsers: number;
  perActiveUser: number;
  /** Every user with a score > 0 in this account, by score desc then id (for `topUsers`). */
  users: { userId: string; score: number }[];
};

/**
 * An account's engagement score as of a day (GET /v1/accounts/:accountId/score).
 *
 * @example
 * oracleAccountScore(events, 'acct-01', { asOf: '2026-03-31' }).perActiveUser
 */
export function oracleAccountScore(events: readonly OracleEvent[], accountId: string, options: ScoreOptions): OracleAccountScore {
  const model = options.model ?? DEFAULT_SCORE_MODEL;
  const snapshot = oracleSnapshot(events, options.asOf);
  const scores = accountScores(snapshot, model);
  const own = scores.get(accountId) ?? accountScoreParts(snapshot, accountId, model);
  const seen = scores.has(accountId);
  const all = [...scores.values()].map((entry) => entry.score);
  return {
    accountId,
    seen,
    score: own.score,
    percentile: seen ? percentileOf(own.score, all) : null,
    model: { version: model.version },
    window: scoreWindow(model, options.asOf),
    breakdown: own.breakdown,
    activeUsers: own.activeUsers,
    perActiveUser: own.activeUsers === 0 ? 0 : own.score / own.activeUsers,
    users: own.users,
  };
}

export type RankingEntry = { id: string; score: number; percentile: number };

/**
 * Every seen user (or account) with its score and percentile, by score desc, then id asc
 * (GET /v1/scores/users|accounts; the tie order is this oracle's choice: compare ties as sets).
 *
 * @example
 * oracleRanking(events, 'accounts', { asOf: '2026-03-31' })[0]?.id
 */
export function oracleRanking(events: readonly OracleEvent[], of: 'users' | 'accounts', options: ScoreOptions): RankingEntry[] {
  const model = options.model ?? DEFAULT_SCORE_MODEL;
  const snapshot = oracleSnapshot(events, options.asOf);
  const scores = new Map<string, number>();
  if (of === 'users') for (const [id, entry] of userScores(snapshot, model)) scores.set(id, entry.score);
  else for (const [id, entry] of accountScores(snapshot, model)) scores.set(id, entry.score);
  const all = [...scores.values()];
  return [...scores]
    .map(([id, score]) => ({ id, score, percentile: percentileOf(score, all) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

// ————————————————————————————————————————————————————————— DAU / WAU / MAU

export type ActiveDay = { date: Day; dau: number; wau: number; mau: number; stickiness: number };

/**
 * DAU/WAU/MAU and stickiness for each day in [from, to] (GET /v1/metrics/active). Identity and
 * membership come from the snapshot as of `asOf` (default `to`).
 *
 * @example
 * oracleActiveSeries(events, { from: '2026-03-01', to: '2026-03-31', accountId: 'acct-01' }).days[0]?.mau
 */
export function oracleActiveSeries(
  events: readonly OracleEvent[],
  options: { from: Day; to: Day; accountId?: string; asOf?: Day },
): { days: ActiveDay[] } {
  const snapshot = oracleSnapshot(events, options.asOf ?? options.to);
  const own = eventsOf(snapshot, options.accountId);
  const activeOn = new Map<Day, Set<string>>();
  for (const event of own) if (event.isActivity && event.user !== null) addToSetMap(activeOn, event.day, event.user);
  const distinctOver = (day: Day, n: number) => {
    const users = new Set<string>();
    for (const d of daysFrom(windowStart(day, n), day)) for (const user of activeOn.get(d) ?? []) users.add(user);
    return users.size;
  };
  return {
    days: daysFrom(options.from, options.to).map((date) => {
      const dau = activeOn.get(date)?.size ?? 0;
      const mau = distinctOver(date, 30);
      return { date, dau, wau: distinctOver(date, 7), mau, stickiness: mau === 0 ? 0 : dau / mau };
    }),
  };
}

// ————————————————————————————————————————————————————————— utilisation

export type OracleUtilisation = {
  accountId: string;
  seats: number | null;
  activeUsers30d: number;
  utilisation: number | null;
  utilisation30dAgo: number | null;
  change: number | null;
};

function seatsOf(traits: Record<string, unknown> | undefined): number | null {
  const raw = traits?.['seats'];
  if (raw === undefined || raw === null || raw === '') return null;
  const seats = Number(raw);
  return Number.isFinite(seats) ? seats : null;
}

function utilisationAt(snapshot: Snapshot, accountId: string): { seats: number | null; activeUsers30d: number; utilisation: number | null } {
  const seats = seatsOf(snapshot.accountTraits.get(accountId));
  const activeUsers30d = activeUsersIn(eventsOf(snapshot, accountId), windowStart(snapshot.asOf, 30), snapshot.asOf).size;
  return { seats, activeUsers30d, utilisation: seats === null || seats === 0 ? null : activeUsers30d / seats };
}

const changeOf = (now: number | null, before: number | null) => (now === null || before === null || before === 0 ? null : now / before - 1);

/**
 * Licence utilisation of an account as of a day, and its change against 30 days before
 * (GET /v1/accounts/:accountId/utilisation).
 *
 * @example
 * oracleUtilisation(events, 'acct-01', { asOf: '2026-03-31' }).utilisation // 0.75
 */
export function oracleUtilisation(events: readonly OracleEvent[], accountId: string, options: { asOf: Day }): OracleUtilisation {
  const now = utilisationAt(oracleSnapshot(events, options.asOf), accountId);
  const before = utilisationAt(oracleSnapshot(events, addDays(options.asOf, -30)), accountId);
  return { accountId, ...now, utilisation30dAgo: before.utilisation, change: changeOf(now.utilisation, before.utilisation) };
}

// ————————————————————————————————————————————————————————— NPS

export type OracleNps = { nps: number | null; responses: number; promoters: number; passives: number; detractors: number };
export type NpsCategory = 'promoter' | 'passive' | 'detractor';

export const npsCategory = (score: number): NpsCategory => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');

/** user → score of their latest `$nps_response` among the events in [from, to]. */
function latestResponses(events: readonly ResolvedEvent[], from: Day, to: Day): Map<string, number> {
  const latest = new Map<string, ResolvedEvent>();
  for (const event of events) {
    if (event.source.type !== 'track' || event.source.event !== '$nps_response' || event.user === null) continue;
    if (!inDays(event.day, from, to)) continue;
    const current = latest.get(event.user);
    if (!current || event.time > current.time || (event.time === current.time && event.order > current.order)) latest.set(event.user, event);
  }
  return new Map([...latest].map(([user, event]) => [user, Number(event.source.properties?.['score'])]));
}

/**
 * NPS over [from, to] (defaults: the 90 days ending at asOf), project-wide or for one account
 * (GET /v1/nps).
 *
 * @example
 * oracleNps(events, { asOf: '2026-03-31', accountId: 'acct-01' }).nps
 */
export function oracleNps(events: readonly OracleEvent[], options: { asOf: Day; from?: Day; to?: Day; accountId?: string }): OracleNps {
  const to = options.to ?? options.asOf;
  const from = options.from ?? windowStart(to, 90);
  const snapshot = oracleSnapshot(events, options.asOf);
  const scores = [...latestResponses(eventsOf(snapshot, options.accountId), from, to).values()];
  const promoters = scores.filter((score) => npsCategory(score) === 'promoter').length;
  const passives = scores.filter((score) => npsCategory(score) === 'passive').length;
  const detractors = scores.filter((score) => npsCategory(score) === 'detractor').length;
  const responses = scores.length;
  return {
    nps: responses === 0 ? null : roundHalfAwayFromZero((100 * (promoters - detractors)) / responses),
    responses,
    promoters,
    passives,
    detractors,
  };
}

// ————————————————————————————————————————————————————————— facts per account and per user

export type SegmentOptions = { asOf: Day; thresholds?: Partial<SegmentThresholds>; model?: OracleScoreModel };

export type AccountFacts = {
  accountId: string;
  firstSeen: Day;
  traits: Record<string, unknown>;
  /** UTC day of the onboardedAt trait, or null. */
  onboardedDay: Day | null;
  members: string[];
  score: number;
  percentile: number;
  seats: number | null;
  activeUsers30d: number;
  utilisation: number | null;
  utilisation30dAgo: number | null;
  change: number | null;
  /** Active user-days in the last `usageDropPeriodDays` days, and in the same period before. */
  activeUserDays: number;
  activeUserDaysBefore: number;
  /** For each 7-day block ending at asOf (newest first): was some user active. */
  activeWeeks: boolean[];
  /** Members with isChampion === true and no activity (in this account) in the last `championQuietDays`. */
  quietChampions: string[];
};

export type UserFacts = {
  userId: string;
  firstSeen: Day;
  /** Last day with activity (≤ asOf), or null. */
  lastActive: Day | null;
  traits: Record<string, unknown>;
  accounts: string[];
  score: number;
  percentile: number;
  /** Every track event name the user sent up to asOf. */
  featuresUsed: Set<string>;
  /** Score of the latest NPS response in the `npsWindowDays` ending at asOf, or null. */
  latestNps: number | null;
};

const thresholdsOf = (options: SegmentOptions): SegmentThresholds => ({ ...DEFAULT_SEGMENT_THRESHOLDS, ...options.thresholds });

/**
 * Everything the account segments look at, for every account seen as of the day.
 *
 * @example
 * oracleAccountFacts(events, { asOf: '2026-03-31' }).find((a) => a.accountId === 'acct-01')?.change
 */
export function oracleAccountFacts(events: readonly OracleEvent[], options: SegmentOptions): AccountFacts[] {
  const t = thresholdsOf(options);
  const model = options.model ?? DEFAULT_SCORE_MODEL;
  const d = options.asOf;
  const snapshot = oracleSnapshot(events, d);
  const before = oracleSnapshot(events, addDays(d, -30));
  const scores = accountScores(snapshot, model);
  const allScores = [...scores.values()].map((entry) => entry.score);
  const period = t.usageDropPeriodDays;
  return sortedIds(snapshot.accountFirstSeen.keys()).map((accountId) => {
    const own = eventsOf(snapshot, accountId);
    const traits = snapshot.accountTraits.get(accountId) ?? {};
    const onboarded = traits['onboardedAt'];
    const members = sortedIds(snapshot.members.get(accountId) ?? []);
    const now = utilisationAt(snapshot, accountId);
    const then = utilisationAt(before, accountId);
    const quietFrom = windowStart(d, t.championQuietDays);
    const recentlyActive = activeUsersIn(own, quietFrom, d);
    const score = scores.get(accountId)!.score;
    return {
      accountId,
      firstSeen: snapshot.accountFirstSeen.get(accountId)!,
      traits,
      onboardedDay: typeof onboarded === 'string' && onboarded !== '' ? dayOf(onboarded) : null,
      members,
      score,
      percentile: percentileOf(score, allScores),
      ...now,
      utilisation30dAgo: then.utilisation,
      change: changeOf(now.utilisation, then.utilisation),
      activeUserDays: activeUserDaysIn(own, windowStart(d, period), d),
      activeUserDaysBefore: activeUserDaysIn(own, windowStart(addDays(d, -period), period), addDays(d, -period)),
      activeWeeks: Array.from({ length: t.weeklyActiveWeeks }, (_, week) => {
        const end = addDays(d, -7 * week);
        return activeUsersIn(own, windowStart(end, 7), end).size > 0;
      }),
      quietChampions: members.filter((user) => snapshot.userTraits.get(user)?.['isChampion'] === true && !recentlyActive.has(user)),
    };
  });
}

/**
 * Everything the user segments look at, for every user seen as of the day.
 *
 * @example
 * oracleUserFacts(events, { asOf: '2026-03-31' }).filter((u) => u.latestNps !== null)
 */
export function oracleUserFacts(events: readonly OracleEvent[], options: SegmentOptions): UserFacts[] {
  const t = thresholdsOf(options);
  const model = options.model ?? DEFAULT_SCORE_MODEL;
  const d = options.asOf;
  const snapshot = oracleSnapshot(events, d);
  const scores = userScores(snapshot, model);
  const allScores = [...scores.values()].map((entry) => entry.score);
  const nps = latestResponses(snapshot.events, windowStart(d, t.npsWindowDays), d);
  const lastActive = new Map<string, Day>();
  const featuresUsed = new Map<string, Set<string>>();
  const accounts = new Map<string, Set<string>>();
  for (const event of snapshot.events) {
    if (event.user === null) continue;
    if (event.isActivity && (lastActive.get(event.user) ?? '') < event.day) lastActive.set(event.user, event.day);
    if (event.source.type === 'track') addToSetMap(featuresUsed, event.user, event.source.event ?? '');
    for (const account of event.accounts) addToSetMap(accounts, event.user, account);
  }
  return sortedIds(snapshot.userFirstSeen.keys()).map((userId) => {
    const score = scores.get(userId)!.score;
    return {
      userId,
      firstSeen: snapshot.userFirstSeen.get(userId)!,
      lastActive: lastActive.get(userId) ?? null,
      traits: snapshot.userTraits.get(userId) ?? {},
      accounts: sortedIds(accounts.get(userId) ?? []),
      score,
      percentile: percentileOf(score, allScores),
      featuresUsed: featuresUsed.get(userId) ?? new Set(),
      latestNps: nps.get(userId) ?? null,
    };
  });
}

/**
 * The last day some user was active in each account's events, for every account with such a day
 * (an unlinked anonymous visitor is nobody: their visits make no day).
 *
 * @example
 * oracleAccountLastActive(events, { asOf: '2026-03-31' }).get('acct-01') // '2026-03-30'
 */
export function oracleAccountLastActive(events: readonly OracleEvent[], options: { asOf: Day }): Map<string, Day> {
  const lastActive = new Map<string, Day>();
  for (const event of oracleSnapshot(events, options.asOf).events) {
    if (!event.isActivity || event.user === null) continue;
    for (const account of event.accounts) if ((lastActive.get(account) ?? '') < event.day) lastActive.set(account, event.day);
  }
  return lastActive;
}

// ————————————————————————————————————————————————————————— segments

function accountSegmentMembers(events: readonly OracleEvent[], key: string, options: SegmentOptions): string[] {
  const t = thresholdsOf(options);
  const d = options.asOf;
  const facts = oracleAccountFacts(events, options);
  const ids = (chosen: AccountFacts[]) => chosen.map((account) => account.accountId);
  switch (key) {
    case 'post-onboarding':
      return ids(facts.filter((a) => (a.onboardedDay !== null && a.onboardedDay <= d) || a.firstSeen <= addDays(d, -t.postOnboardingFirstSeenDays)));
    case 'low-utilization':
      return ids(facts.filter((a) => a.utilisation !== null && lessThan(a.utilisation, t.lowUtilisation)));
    case 'rising-utilization':
      return ids(facts.filter((a) => a.change !== null && moreThan(a.change, t.risingUtilisationChange)));
    case 'usage-drop':
      return ids(facts.filter((a) => a.activeUserDaysBefore > 0 && atMost(a.activeUserDays, t.usageDropRatio * a.activeUserDaysBefore)));
    case 'weekly-active':
      return ids(facts.filter((a) => a.activeWeeks.every(Boolean)));
    case 'top': {
      if (facts.length === 0) return [];
      const ranked = [...facts].sort((a, b) => b.score - a.score);
      const k = Math.ceil(t.topShare * facts.length - EPSILON);
      const cut = ranked[Math.max(k, 1) - 1]!.score;
      return ids(facts.filter((a) => a.score >= cut && a.score > 0));
    }
    case 'low-engagement-after-onboarding': {
      const from = addDays(d, -t.lowEngagementOnboardedFromDays);
      const to = addDays(d, -t.lowEngagementOnboardedToDays);
      return ids(facts.filter((a) => a.onboardedDay !== null && inDays(a.onboardedDay, from, to) && a.percentile <= t.lowEngagementMaxPercentile));
    }
    case 'champion-disengaged':
      return ids(facts.filter((a) => a.quietChampions.length > 0));
    case 'trial-ready': {
      const trials = facts.filter((a) => a.traits['trial'] === true);
      const trialScores = trials.map((a) => a.score);
      return ids(trials.filter((a) => atLeast(percentRank(a.score, trialScores), t.trialReadyPercentRank)));
    }
    case 'expansion-ready':
      return ids(facts.filter((a) => a.utilisation !== null && atLeast(a.utilisation, t.expansionUtilisation)));
    case 'health-red': {
      // Under the default health model v1 (support/health-oracle.ts).
      const health = oracleHealth(events, options);
      return ids(facts.filter((a) => health.get(a.accountId)?.band === 'red'));
    }
    default:
      throw new Error(`unknown account segment ${key}`);
  }
}

function userSegmentMembers(events: readonly OracleEvent[], key: string, options: SegmentOptions): string[] {
  const t = thresholdsOf(options);
  const d = options.asOf;
  const facts = oracleUserFacts(events, options);
  const ids = (chosen: UserFacts[]) => chosen.map((user) => user.userId);
  if (key.startsWith('feature-unused:')) {
    const feature = key.slice('feature-unused:'.length);
    const from = windowStart(d, t.featureUnusedActiveDays);
    return ids(facts.filter((u) => u.lastActive !== null && u.lastActive >= from && !u.featuresUsed.has(feature)));
  }
  switch (key) {
    case 'new-users':
      return ids(facts.filter((u) => u.firstSeen >= windowStart(d, t.newUserDays)));
    case 'dormant': {
      // Not active in the last `quiet` days; active in the `lookback` days before them.
      const quietFrom = windowStart(d, t.dormantQuietDays);
      const lookbackTo = addDays(quietFrom, -1);
      const lookbackFrom = windowStart(lookbackTo, t.dormantLookbackDays);
      const snapshot = oracleSnapshot(events, d);
      const before = activeUsersIn(snapshot.events, lookbackFrom, lookbackTo);
      const recent = activeUsersIn(snapshot.events, quietFrom, d);
      return ids(facts.filter((u) => before.has(u.userId) && !recent.has(u.userId)));
    }
    case 'nps-promoters':
      return ids(facts.filter((u) => u.latestNps !== null && npsCategory(u.latestNps) === 'promoter'));
    case 'nps-passives':
      return ids(facts.filter((u) => u.latestNps !== null && npsCategory(u.latestNps) === 'passive'));
    case 'nps-detractors':
      return ids(facts.filter((u) => u.latestNps !== null && npsCategory(u.latestNps) === 'detractor'));
    default:
      throw new Error(`unknown user segment ${key}`);
  }
}

/** Whether a built-in key is about accounts or users. */
export function segmentKind(key: BuiltInSegmentKey): 'accounts' | 'users' {
  return key.startsWith('feature-unused:') ? 'users' : BUILT_IN_SEGMENTS[key as keyof typeof BUILT_IN_SEGMENTS];
}

/**
 * Members of a built-in segment as of a day, sorted by id (GET /v1/segments/:key/members).
 *
 * @example
 * oracleSegmentMembers(events, 'champion-disengaged', { asOf: '2026-03-31' }) // ['acct-08']
 * oracleSegmentMembers(events, 'feature-unused:Export CSV', { asOf: '2026-03-31' })
 */
export function oracleSegmentMembers(events: readonly OracleEvent[], key: BuiltInSegmentKey, options: SegmentOptions): string[] {
  return segmentKind(key) === 'accounts' ? accountSegmentMembers(events, key, options) : userSegmentMembers(events, key, options);
}

/**
 * The `feature-unused:<event>` keys that exist under a score model: one per feature it names
 * (the default v1 model names none: it scores every track event alike).
 *
 * @example
 * oracleFeatureUnusedKeys({ version: 2, features: { 'Export CSV': { weight: 1, label: 'x' } } }) // ['feature-unused:Export CSV']
 */
export function oracleFeatureUnusedKeys(model: OracleScoreModel = DEFAULT_SCORE_MODEL): Array<`feature-unused:${string}`> {
  return Object.keys(model.features ?? {}).map((feature) => `feature-unused:${feature}` as const);
}

/**
 * The built-in segments one user or account is in, sorted (GET /v1/users|accounts/:id/segments).
 * `feature-unused:<event>` keys are checked for the features of `model` (default v1: none).
 *
 * @example
 * oracleSegmentsOf(events, 'users', 'u1', { asOf: '2026-03-31', model: { version: 2, features: { 'Export CSV': … } } })
 */
export function oracleSegmentsOf(events: readonly OracleEvent[], of: 'users' | 'accounts', id: string, options: SegmentOptions): string[] {
  const keys: BuiltInSegmentKey[] = (Object.keys(BUILT_IN_SEGMENTS) as (keyof typeof BUILT_IN_SEGMENTS)[]).filter((key) => BUILT_IN_SEGMENTS[key] === of);
  if (of === 'users') keys.push(...oracleFeatureUnusedKeys(options.model));
  return keys.filter((key) => oracleSegmentMembers(events, key, options).includes(id)).sort();
}
