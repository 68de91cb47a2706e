/**
 * A deterministic, realistic event generator for the query tests: the same seed gives the same
 * events, byte for byte. The figures are never hard-coded from here — tests compute them with the
 * oracle (`oracle.ts`); `scenario` only names who was *meant* to land in which segment, so a
 * test can check the data covers every case.
 *
 * Timing rules (so that HTTP ingestion keeps every event on its UTC day, see `ingest.ts`):
 * - every timestamp is a whole minute (`…:mm:00.000Z`): clock-skew correction moves a stored time
 *   by the milliseconds of transit only, never across midnight (a few events sit at 00:00 and
 *   23:59 on purpose, to test day boundaries);
 * - nothing is later than `asOf` 23:59. For HTTP ingestion pass an `asOf` of yesterday (UTC) or
 *   earlier, or events would be in the future and clamped to the receive time.
 * - anonymous-then-identified users are never split across the day `asOf − 30`: the figure
 *   "utilisation 30 days ago" is then the same whether identity links are applied as of that day
 *   or retroactively.
 *
 * Memberships (docs/api.md, Definitions): in accounts whose events do not always name them, the anonymous
 * visitor who signs up is invited while still anonymous — the `group` call carries only the
 * anonymousId, on the first anonymous day, before the identify that links it — and the second
 * user's join call arrives late (an offline device), after a newer group call of the same user
 * and account (a trait refresh a few days before asOf). Both are the only way those users join.
 */
import { addDays, type Day, type OracleEvent } from './oracle.ts';

// ————————————————————————————————————————————————————————— seeded random numbers

export type Random = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[];
};

/**
 * mulberry32: a small, fast, well-mixed 32-bit PRNG. Never Math.random.
 *
 * @example
 * createRandom(42).int(1, 6)
 */
export function createRandom(seed: number): Random {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: (items) => items[int(0, items.length - 1)]!,
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(0, i);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    },
  };
}

// ————————————————————————————————————————————————————————— plans

export const FEATURES = ['Report Created', 'Dashboard Viewed', 'Export CSV', 'Invite Sent', 'Integration Connected', 'Alert Configured'] as const;
const PAGES = ['Dashboard', 'Reports', 'Settings', 'Billing', 'Integrations'] as const;
const ROLES = ['admin', 'analyst', 'manager', 'viewer'] as const;

/** How an account's events name it. `none`: not at all (they belong to it through the user's group call). */
type Naming = 'context' | 'property' | 'none' | 'mixed';

type ProfileKind =
  | 'steady'
  | 'rising'
  | 'dropping'
  | 'trial-strong'
  | 'trial-weak'
  | 'new'
  | 'onboarded-mid-low'
  | 'expansion'
  | 'quiet-champion'
  | 'unknown-seats'
  | 'power'
  | 'churned';

const PROFILE_ORDER: ProfileKind[] = [
  'steady', 'rising', 'dropping', 'trial-strong', 'trial-weak', 'new',
  'onboarded-mid-low', 'expansion', 'quiet-champion', 'unknown-seats', 'power', 'churned',
];

type Profile = {
  /** Days before asOf of the account's first group call (clamped to the generated range). */
  foundAgo: number;
  /** onboardedAt = asOf − this many days; null: trait never sent. */
  onboardedAgo: number | null;
  /** seats = ceil(users × factor); null: unknown. */
  seatsFactor: number | null;
  trial: boolean | null;
  plan: string;
  naming: Naming;
  /** Mean feature events per active day. */
  intensity: number;
  /** Probability of being active on a day `ago` days before asOf. */
  activity(ago: number): number;
  champion: boolean;
};

const PROFILES: Record<ProfileKind, Profile> = {
  steady: { foundAgo: 89, onboardedAgo: 120, seatsFactor: 1.3, trial: false, plan: 'growth', naming: 'context', intensity: 3, activity: () => 0.55, champion: true },
  rising: { foundAgo: 85, onboardedAgo: 100, seatsFactor: 1, trial: false, plan: 'growth', naming: 'property', intensity: 3, activity: (ago) => (ago < 30 ? 0.75 : 0.3), champion: false },
  dropping: { foundAgo: 88, onboardedAgo: 110, seatsFactor: 1.5, trial: false, plan: 'enterprise', naming: 'none', intensity: 4, activity: (ago) => (ago < 30 ? 0.12 : 0.7), champion: false },
  'trial-strong': { foundAgo: 25, onboardedAgo: null, seatsFactor: 1, trial: true, plan: 'trial', naming: 'context', intensity: 5, activity: () => 0.8, champion: false },
  'trial-weak': { foundAgo: 50, onboardedAgo: 45, seatsFactor: 3, trial: true, plan: 'trial', naming: 'property', intensity: 1, activity: () => 0.08, champion: false },
  new: { foundAgo: 9, onboardedAgo: 3, seatsFactor: 1.2, trial: null, plan: 'starter', naming: 'context', intensity: 3, activity: () => 0.6, champion: false },
  'onboarded-mid-low': { foundAgo: 55, onboardedAgo: 40, seatsFactor: 2, trial: false, plan: 'starter', naming: 'mixed', intensity: 1, activity: () => 0.1, champion: false },
  expansion: { foundAgo: 80, onboardedAgo: 50, seatsFactor: 0.8, trial: false, plan: 'growth', naming: 'context', intensity: 4, activity: () => 0.8, champion: false },
  'quiet-champion': { foundAgo: 87, onboardedAgo: 95, seatsFactor: 1.2, trial: false, plan: 'enterprise', naming: 'property', intensity: 3, activity: () => 0.5, champion: true },
  'unknown-seats': { foundAgo: 70, onboardedAgo: null, seatsFactor: null, trial: null, plan: 'starter', naming: 'mixed', intensity: 2, activity: () => 0.4, champion: false },
  power: { foundAgo: 89, onboardedAgo: 150, seatsFactor: 1.1, trial: false, plan: 'enterprise', naming: 'context', intensity: 6, activity: () => 0.9, champion: true },
  churned: { foundAgo: 89, onboardedAgo: 130, seatsFactor: 1, trial: false, plan: 'growth', naming: 'property', intensity: 3, activity: (ago) => (ago < 20 ? 0 : 0.6), champion: true },
};

export type AccountPlan = {
  accountId: string;
  profile: ProfileKind;
  foundAgo: number;
  seats: number | null;
  naming: Naming;
  userIds: string[];
};

export type UserPlan = {
  userId: string;
  accountId: string;
  /** A second account (the one user in two accounts), or null. */
  secondAccountId: string | null;
  joinAgo: number;
  /** Days before asOf of the user's first event (anonymous visits included). */
  firstSeenAgo: number;
  /** Never active on a day more recent than this many days before asOf (-1: no limit). */
  lastActiveAgo: number;
  champion: boolean;
  /** Set for users first seen anonymously. */
  anonymousId: string | null;
};

export type Dataset = {
  seed: number;
  asOf: Day;
  /** The first generated day. */
  from: Day;
  days: number;
  /** Events as sent, partially shuffled (late and out-of-order arrivals), with a few retried duplicates. */
  events: OracleEvent[];
  accounts: AccountPlan[];
  users: UserPlan[];
  features: readonly string[];
  /** Who was meant to show which behaviour (ids); the figures themselves come from the oracle. */
  scenario: {
    quietChampion: { userId: string; accountId: string } | null;
    promotedChampion: string | null;
    twoAccountUser: { userId: string; accounts: [string, string] } | null;
    anonymousThenIdentified: { anonymousId: string; userId: string }[];
    /** Users whose only join is a group call sent with just their anonymousId, before the identify. */
    anonymousGroupCalls: { anonymousId: string; userId: string; accountId: string }[];
    /** Users whose join call (older) arrives after a newer group call of the same account. */
    lateOlderGroupCalls: { userId: string; accountId: string; joinedAt: string; refreshedAt: string }[];
    unlinkedAnonymousIds: string[];
    answeredNpsTwice: string[];
    dormantUsers: string[];
    /** Exactly the users first seen in the last 7 days. */
    newUsers: string[];
    accountsByProfile: Partial<Record<ProfileKind, string[]>>;
    duplicatedMessageIds: string[];
  };
};

export type GenerateOptions = {
  seed: number;
  /** Last day of data (UTC `YYYY-MM-DD`). */
  asOf: Day;
  days?: number;
  accounts?: number;
  usersPerAccount?: [number, number];
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// ————————————————————————————————————————————————————————— generation

/**
 * A realistic project's events over `days` days ending at `asOf`: accounts of twelve profiles
 * (steady, rising, dropping, trial, new, expansion, quiet champion, churned …), sessions,
 * features over the daily cap, pages, NPS, anonymous-then-identified users, a user in two
 * accounts, and late, out-of-order and duplicated events.
 *
 * @example
 * const data = generateDataset({ seed: 7, asOf: '2026-03-31' });
 * await ingestEvents(app, writeKey, data.events);
 */
export function generateDataset(options: GenerateOptions): Dataset {
  const { seed, asOf } = options;
  const days = options.days ?? 90;
  const accountCount = options.accounts ?? 12;
  const [minUsers, maxUsers] = options.usersPerAccount ?? [2, 10];
  const random = createRandom(seed);
  const last = days - 1; // the largest `ago`
  const clampAgo = (ago: number) => Math.max(0, Math.min(last, ago));
  const dayAt = (ago: number) => addDays(asOf, -ago);
  const at = (ago: number, minute: number) => {
    const m = Math.max(0, Math.min(23 * 60 + 59, minute));
    return `${dayAt(ago)}T${pad(Math.floor(m / 60))}:${pad(m % 60)}:00.000Z`;
  };

  const events: OracleEvent[] = [];
  let messageCounter = 0;
  const messagePrefix = `m${seed.toString(36)}-`;
  const emit = (event: Omit<OracleEvent, 'messageId'>) => {
    events.push({ messageId: `${messagePrefix}${(messageCounter++).toString(36)}`, ...event } as OracleEvent);
  };
  /** Adds the account to a track/page/identify event the way the account's SDK setup does. */
  const naming = (style: Naming, accountId: string): Pick<OracleEvent, 'context'> & { accountProperty?: string } => {
    const chosen = style === 'mixed' ? random.pick(['context', 'property', 'none'] as const) : style;
    if (chosen === 'context') return { context: { groupId: accountId } };
    if (chosen === 'property') return { accountProperty: accountId };
    return {};
  };
  const withAccount = (style: Naming, accountId: string, properties: Record<string, unknown> = {}) => {
    const { context, accountProperty } = naming(style, accountId);
    return { ...(context ? { context } : {}), properties: accountProperty ? { ...properties, accountId: accountProperty } : properties };
  };

  const scenario: Dataset['scenario'] = {
    quietChampion: null,
    promotedChampion: null,
    twoAccountUser: null,
    anonymousThenIdentified: [],
    anonymousGroupCalls: [],
    lateOlderGroupCalls: [],
    unlinkedAnonymousIds: [],
    answeredNpsTwice: [],
    dormantUsers: [],
    newUsers: [],
    accountsByProfile: {},
    duplicatedMessageIds: [],
  };

  // —— plans
  const accounts: AccountPlan[] = [];
  const users: UserPlan[] = [];
  for (let a = 0; a < accountCount; a++) {
    const kind = PROFILE_ORDER[a % PROFILE_ORDER.length]!;
    const profile = PROFILES[kind];
    const accountId = `acct-${pad(a + 1)}`;
    const n = random.int(minUsers, maxUsers);
    const foundAgo = clampAgo(profile.foundAgo);
    const seats = profile.seatsFactor === null ? null : Math.max(1, Math.ceil(n * profile.seatsFactor));
    const account: AccountPlan = { accountId, profile: kind, foundAgo, seats, naming: profile.naming, userIds: [] };
    accounts.push(account);
    (scenario.accountsByProfile[kind] ??= []).push(accountId);
    for (let u = 0; u < n; u++) {
      const userId = `user-${pad(a + 1)}-${pad(u + 1)}`;
      let joinAgo = u === 0 ? foundAgo : clampAgo(foundAgo - random.int(0, 5));
      if (kind === 'rising' && u >= Math.ceil(n * 0.4)) joinAgo = clampAgo(random.int(5, 25));
      if (kind === 'new') joinAgo = u === 0 ? foundAgo : u === n - 1 ? clampAgo(random.int(1, 6)) : clampAgo(random.int(2, foundAgo));
      let lastActiveAgo = -1;
      if (kind === 'churned') lastActiveAgo = u === 1 ? 14 : random.int(15, 25);
      if (kind === 'dropping' && u > 0 && u % 3 === 0) lastActiveAgo = u === 3 ? 13 : random.int(15, 20);
      if (kind === 'quiet-champion' && u === 0) lastActiveAgo = 20;
      lastActiveAgo = Math.min(lastActiveAgo, joinAgo);
      const anonymous = u > 0 && u === n - 1 && a % 2 === 0 && joinAgo > 0 ? `anon-${pad(a + 1)}-${pad(u + 1)}` : null;
      const user: UserPlan = { userId, accountId, secondAccountId: null, joinAgo, firstSeenAgo: joinAgo, lastActiveAgo, champion: profile.champion && u === 0, anonymousId: anonymous };
      users.push(user);
      account.userIds.push(userId);
      if (kind === 'quiet-champion' && u === 0) scenario.quietChampion = { userId, accountId };
      if (lastActiveAgo >= 14 && lastActiveAgo <= 43) scenario.dormantUsers.push(userId);
    }
  }
  // One user in two accounts: the second user of the first steady account also joins the first power account.
  const steady = accounts.find((account) => account.profile === 'steady' && account.userIds.length > 1);
  const power = accounts.find((account) => account.profile === 'power');
  if (steady && power) {
    const shared = users.find((user) => user.userId === steady.userIds[1])!;
    shared.secondAccountId = power.accountId;
    shared.anonymousId = null;
    power.userIds.push(shared.userId);
    scenario.twoAccountUser = { userId: shared.userId, accounts: [steady.accountId, power.accountId] };
  }

  // —— accounts' group calls from their founders: full traits; a seat upgrade for steady accounts.
  for (const account of accounts) {
    const profile = PROFILES[account.profile];
    const founder = account.userIds[0]!;
    const onboardedAt =
      profile.onboardedAgo === null
        ? undefined
        : account.profile === 'trial-weak' || account.profile === 'new'
          ? addDays(asOf, -profile.onboardedAgo) // a plain date, as CRMs send it
          : `${addDays(asOf, -profile.onboardedAgo)}T09:00:00.000Z`;
    const traits: Record<string, unknown> = { name: `Account ${account.accountId.slice(5)}`, plan: profile.plan };
    // The expansion account's CRM sends seats as text.
    if (account.seats !== null) traits['seats'] = account.profile === 'expansion' ? String(account.seats) : account.seats;
    if (onboardedAt !== undefined) traits['onboardedAt'] = onboardedAt;
    if (profile.trial !== null) traits['trial'] = profile.trial;
    emit({ type: 'group', timestamp: at(account.foundAgo, 8 * 60), userId: founder, groupId: account.accountId, traits });
    if (account.profile === 'steady' && account.seats !== null && account.foundAgo > 75) {
      emit({ type: 'group', timestamp: at(75, 10 * 60), userId: founder, groupId: account.accountId, traits: { seats: account.seats + 3 } });
      account.seats += 3;
    }
  }

  // —— users
  const nps = { answeredTwice: scenario.answeredNpsTwice };
  /** messageIds that arrive after every on-time event (see `arrivalOrder`). */
  const arriveLate = new Set<string>();
  for (const user of users) {
    const account = accounts.find((candidate) => candidate.accountId === user.accountId)!;
    const profile = PROFILES[account.profile];
    const isFounder = account.userIds[0] === user.userId;
    const role = isFounder ? 'admin' : random.pick(ROLES);
    const preferred = random.shuffle(FEATURES).slice(0, random.int(2, FEATURES.length));

    // Anonymous visits before sign-up (kept on one side of asOf − 30, see the header).
    let firstAnonAgo = user.joinAgo;
    if (user.anonymousId) {
      firstAnonAgo = Math.min(user.joinAgo + 3, account.foundAgo);
      if (user.joinAgo < 30 && firstAnonAgo >= 30) firstAnonAgo = 29;
      if (firstAnonAgo > user.joinAgo) user.firstSeenAgo = firstAnonAgo;
      for (let ago = firstAnonAgo; ago > user.joinAgo; ago--) {
        emit({ type: 'page', timestamp: at(ago, random.int(9 * 60, 12 * 60)), anonymousId: user.anonymousId, name: 'Pricing', properties: { path: '/pricing' } });
        if (random.chance(0.7)) {
          emit({ type: 'track', timestamp: at(ago, random.int(13 * 60, 17 * 60)), anonymousId: user.anonymousId, event: 'Dashboard Viewed', properties: { demo: true } });
        }
      }
      scenario.anonymousThenIdentified.push({ anonymousId: user.anonymousId, userId: user.userId });
    }

    // Sign-up: identify (linking the anonymous id), then group.
    const joinMinute = random.int(7 * 60, 8 * 60 + 30);
    const traits: Record<string, unknown> = {
      email: `${user.userId}@example.com`,
      name: `User ${user.userId.slice(5)}`,
      role,
      createdAt: at(user.joinAgo, joinMinute),
    };
    if (user.champion) traits['isChampion'] = true;
    emit({ type: 'identify', timestamp: at(user.joinAgo, joinMinute), userId: user.userId, ...(user.anonymousId ? { anonymousId: user.anonymousId } : {}), traits });
    const accountName = { name: `Account ${user.accountId.slice(5)}` };
    if (!isFounder && user.anonymousId && account.naming !== 'context') {
      // Invited while anonymous: the only join is this call, before the identify links the anonymousId.
      const time = firstAnonAgo > user.joinAgo ? at(firstAnonAgo, 8 * 60) : at(user.joinAgo, joinMinute - 1);
      emit({ type: 'group', timestamp: time, anonymousId: user.anonymousId, groupId: user.accountId, traits: accountName });
      scenario.anonymousGroupCalls.push({ anonymousId: user.anonymousId, userId: user.userId, accountId: user.accountId });
    } else if (!isFounder) {
      emit({ type: 'group', timestamp: at(user.joinAgo, joinMinute + 1), userId: user.userId, groupId: user.accountId, traits: accountName });
      if (account.naming !== 'context' && user.userId === account.userIds[1] && !user.anonymousId && user.secondAccountId === null && user.joinAgo >= 12) {
        // The join call arrives late, after a newer call of the same user and account.
        arriveLate.add(events.at(-1)!.messageId);
        const refreshAgo = Math.min(5, user.joinAgo - 1);
        emit({ type: 'group', timestamp: at(refreshAgo, 7 * 60), userId: user.userId, groupId: user.accountId, traits: accountName });
        scenario.lateOlderGroupCalls.push({ userId: user.userId, accountId: user.accountId, joinedAt: dayAt(user.joinAgo), refreshedAt: dayAt(refreshAgo) });
      }
    }
    const secondJoinAgo = user.secondAccountId ? clampAgo(Math.min(user.joinAgo, (power?.foundAgo ?? 0) - 1)) : -1;
    if (user.secondAccountId) {
      emit({ type: 'group', timestamp: at(secondJoinAgo, 8 * 60 + 45), userId: user.userId, groupId: user.secondAccountId });
    }

    // Daily use.
    for (let ago = user.joinAgo; ago >= 0; ago--) {
      if (user.lastActiveAgo >= 0 && ago < user.lastActiveAgo) break;
      const forced = ago === user.joinAgo || ago === user.lastActiveAgo;
      if (!forced && !random.chance(profile.activity(ago))) continue;
      // The shared user works in either account, always naming it.
      const inSecond = user.secondAccountId !== null && ago <= secondJoinAgo && random.chance(0.5);
      const sessionAccount = inSecond ? user.secondAccountId! : user.accountId;
      const style: Naming = user.secondAccountId !== null ? 'context' : account.naming;
      const tag = () => withAccount(style, sessionAccount);
      const sessionId = `s-${user.userId}-${ago}`;
      let minute = random.int(9 * 60, 19 * 60);
      const base = { userId: user.userId, ...(user.anonymousId ? { anonymousId: user.anonymousId } : {}) };
      const started = minute;
      emit({ type: 'track', timestamp: at(ago, minute++), ...base, event: '$session_start', ...withAccount(style, sessionAccount, { sessionId }) });
      for (let p = random.int(1, 2); p > 0; p--) {
        const page = random.pick(PAGES);
        const { properties, ...rest } = tag();
        emit({ type: 'page', timestamp: at(ago, minute++), ...base, name: page, ...rest, properties: { ...properties, path: `/${page.toLowerCase()}` } });
      }
      const uses = random.int(0, 2 * profile.intensity - 1);
      for (let i = 0; i < uses; i++) {
        emit({ type: 'track', timestamp: at(ago, minute++), ...base, event: random.pick(preferred), ...tag() });
      }
      // Power users sometimes go over the daily cap (20) with one feature.
      if (account.profile === 'power' && random.chance(0.15)) {
        const feature = random.pick(preferred);
        for (let i = random.int(21, 30); i > 0; i--) emit({ type: 'track', timestamp: at(ago, minute++), ...base, event: feature, ...tag() });
      }
      emit({ type: 'track', timestamp: at(ago, minute), ...base, event: '$session_end', ...withAccount(style, sessionAccount, { sessionId, durationMs: (minute - started) * 60_000 }) });
    }

    // NPS: shown, then answered or dismissed; some answer twice.
    const npsChance = isFounder && account.profile === 'steady' ? 1 : 0.4;
    if (random.chance(npsChance) && user.joinAgo >= 2) {
      const happy = account.profile === 'power' || account.profile === 'steady' || account.profile === 'trial-strong';
      const unhappy = account.profile === 'dropping' || account.profile === 'churned' || account.profile === 'quiet-champion';
      const npsScore = () => (happy ? random.int(7, 10) : unhappy ? random.int(0, 7) : random.int(4, 10));
      const answer = (ago: number, score: number) => {
        const minute = random.int(8 * 60, 20 * 60);
        emit({ type: 'track', timestamp: at(ago, minute), userId: user.userId, event: '$nps_shown', ...withAccount(account.naming, user.accountId, { surveyId: 'nps-1' }) });
        emit({ type: 'track', timestamp: at(ago, minute + 1), userId: user.userId, event: '$nps_response', ...withAccount(account.naming, user.accountId, { score, surveyId: 'nps-1', comment: score >= 9 ? 'Love it' : 'Could be better' }) });
      };
      if (isFounder && account.profile === 'steady' && user.joinAgo === last) {
        // At the very start of the 90-day NPS window (asOf − 89), when 90 days are generated.
        answer(last, 3);
      } else if (random.chance(0.75)) {
        const ago = random.int(1, Math.min(user.joinAgo, 80));
        if (ago + 20 <= user.joinAgo && random.chance(0.4)) {
          answer(random.int(ago + 20, user.joinAgo), npsScore());
          nps.answeredTwice.push(user.userId);
        }
        answer(ago, npsScore());
      } else {
        const ago = random.int(1, Math.min(user.joinAgo, 80));
        const minute = random.int(8 * 60, 20 * 60);
        emit({ type: 'track', timestamp: at(ago, minute), userId: user.userId, event: '$nps_shown', ...withAccount(account.naming, user.accountId, { surveyId: 'nps-1' }) });
        emit({ type: 'track', timestamp: at(ago, minute + 2), userId: user.userId, event: '$nps_dismissed', ...withAccount(account.naming, user.accountId, { surveyId: 'nps-1' }) });
      }
    }
  }

  scenario.newUsers = users.filter((user) => user.firstSeenAgo <= 6).map((user) => user.userId);

  // —— trait changes: a steady account's user becomes a champion later (trait merge by time).
  const promoted = steady?.userIds[2] ?? steady?.userIds[1];
  if (promoted) {
    const planned = users.find((user) => user.userId === promoted)!;
    const ago = clampAgo(Math.min(40, planned.joinAgo));
    emit({ type: 'identify', timestamp: at(ago, 12 * 60), userId: promoted, traits: { isChampion: true, role: 'manager' } });
    scenario.promotedChampion = promoted;
  }

  // —— day boundaries: activity at 00:00 on asOf, and at 23:59 thirty days before (last minute of a window).
  const powerFounder = power?.userIds[0];
  if (power && powerFounder) {
    emit({ type: 'page', timestamp: at(0, 0), userId: powerFounder, name: 'Dashboard', context: { groupId: power.accountId }, properties: { path: '/dashboard' } });
    if (last >= 30) emit({ type: 'page', timestamp: at(30, 23 * 60 + 59), userId: powerFounder, name: 'Reports', context: { groupId: power.accountId }, properties: { path: '/reports' } });
  }

  // —— anonymous visitors who never sign up (belong to no user); one browses inside an account.
  for (let v = 1; v <= 4; v++) {
    const anonymousId = `anon-visitor-${v}`;
    scenario.unlinkedAnonymousIds.push(anonymousId);
    for (let k = random.int(1, 3); k > 0; k--) {
      const ago = random.int(0, Math.min(last, 20));
      emit({ type: 'page', timestamp: at(ago, random.int(8 * 60, 20 * 60)), anonymousId, name: 'Home', properties: { path: '/' } });
    }
  }
  if (steady) {
    emit({ type: 'page', timestamp: at(clampAgo(Math.min(5, steady.foundAgo)), 11 * 60), anonymousId: 'anon-visitor-1', name: 'Shared report', context: { groupId: steady.accountId }, properties: { path: '/r/1' } });
  }

  return { seed, asOf, from: dayAt(last), days, events: arrivalOrder(events, random, scenario, arriveLate), accounts, users, features: FEATURES, scenario };
}

/**
 * Events as a server would receive them: by time, with local reordering (batches sent by
 * different devices), ~2 % and those in `arriveLate` arriving days late (offline devices), and
 * ~0.2 % sent twice (retries).
 */
function arrivalOrder(events: OracleEvent[], random: Random, scenario: Dataset['scenario'], arriveLate: ReadonlySet<string>): OracleEvent[] {
  const byTime = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (a.event.timestamp < b.event.timestamp ? -1 : a.event.timestamp > b.event.timestamp ? 1 : a.index - b.index))
    .map(({ event }) => event);
  for (let i = 0; i < byTime.length; i++) {
    if (!random.chance(0.15)) continue;
    const j = Math.min(byTime.length - 1, i + random.int(1, 40));
    [byTime[i], byTime[j]] = [byTime[j]!, byTime[i]!];
  }
  const onTime: OracleEvent[] = [];
  const late: OracleEvent[] = [];
  for (const event of byTime) (random.chance(0.02) || arriveLate.has(event.messageId) ? late : onTime).push(event);
  const arrived = [...onTime, ...late];
  const withRetries: OracleEvent[] = [];
  for (const event of arrived) {
    withRetries.push(event);
    if (random.chance(0.002)) scenario.duplicatedMessageIds.push(event.messageId);
  }
  // A retry arrives after its original, somewhere later.
  for (const messageId of scenario.duplicatedMessageIds) {
    const original = withRetries.findIndex((event) => event.messageId === messageId);
    const at = random.int(original + 1, withRetries.length);
    withRetries.splice(at, 0, structuredClone(withRetries[original]!));
  }
  return withRetries;
}

export type ProjectPair = {
  first: Dataset;
  second: Dataset;
  /** Both projects' events, interleaved as they would arrive at one server. */
  interleaved: { project: 'first' | 'second'; event: OracleEvent }[];
};

/**
 * Two projects' datasets for isolation tests. Their user and account ids overlap on purpose
 * (both use `acct-01`, `user-01-01` …); messageIds differ (derived from the seed).
 *
 * @example
 * const pair = generateProjectPair({ seed: 3, asOf: '2026-03-31' });
 */
export function generateProjectPair(options: GenerateOptions): ProjectPair {
  const first = generateDataset(options);
  const second = generateDataset({ ...options, seed: options.seed + 1_000_003, accounts: Math.max(1, (options.accounts ?? 12) - 4) });
  const random = createRandom(options.seed ^ 0x5bd1e995);
  const interleaved: ProjectPair['interleaved'] = [];
  let i = 0;
  let j = 0;
  while (i < first.events.length || j < second.events.length) {
    const takeFirst = j >= second.events.length || (i < first.events.length && random.chance(first.events.length / (first.events.length + second.events.length)));
    if (takeFirst) interleaved.push({ project: 'first', event: first.events[i++]! });
    else interleaved.push({ project: 'second', event: second.events[j++]! });
  }
  return { first, second, interleaved };
}
