/**
 * The demo project's data: about a hundred customer accounts of a reporting product over the
 * last 90 days, sent as the browser SDK and a CRM sync would send them. Deterministic: the same
 * options give the same events (and the same messageIds, so loading twice stores nothing twice);
 * only the dates move with `now`.
 *
 * Each account follows a profile, so that every play of the customer-success team has members:
 * healthy and power accounts, rising and falling utilisation, a usage drop, a champion who stops
 * logging in, slow starts after onboarding, trials, churning accounts. Inside an account users
 * join over time, use the features their role favours (fewer at weekends), go quiet or leave, and
 * answer NPS surveys according to how the account is doing.
 */
import { DEMO_FEATURES, DEMO_INDUSTRIES, DEMO_PAGES, COMPANY_FIRST, COMPANY_SECOND, FIRST_NAMES, LAST_NAMES, type DemoRole } from './demo-catalogue.ts';
import { createDemoRandom, type DemoRandom } from './demo-random.ts';

export const DEMO_PROFILES = [
  'healthy', 'power', 'rising', 'usage-drop', 'low-utilisation', 'quiet-champion', 'slow-start', 'onboarding', 'trial', 'churning',
] as const;
export type DemoProfile = (typeof DEMO_PROFILES)[number];

/** One event as sent to `POST /v1/batch` (protocol v1). */
export type DemoEvent = {
  type: 'identify' | 'group' | 'track' | 'page';
  messageId: string;
  timestamp: string;
  userId?: string;
  anonymousId?: string;
  groupId?: string;
  event?: string;
  name?: string;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  context?: { groupId?: string; sessionId?: string };
};

export type DemoAccount = {
  accountId: string;
  name: string;
  profile: DemoProfile;
  plan: string;
  seats: number;
  /** UTC day, or null for trials. */
  onboardedAt: string | null;
  userIds: string[];
  champions: string[];
};

export type DemoData = {
  /** Events in time order (as an import sends them). */
  events: DemoEvent[];
  accounts: DemoAccount[];
  users: number;
  days: number;
  /** First and last UTC day with data. */
  from: string;
  to: string;
  /** The prefix of every messageId: the options that made the data. */
  messageIdPrefix: string;
};

export type DemoOptions = {
  /** Days of data ending today (default 90). */
  days?: number;
  /** Customer accounts (default 100). */
  accounts?: number;
  seed?: number;
  /** "Today": nothing is later than this instant (default: the current time). */
  now?: Date;
};

export const DEMO_DEFAULTS = { days: 90, accounts: 100, seed: 2026 } as const;

type Plan = 'starter' | 'growth' | 'enterprise' | 'trial';
type Mood = 'happy' | 'neutral' | 'unhappy';

type ProfileSpec = {
  plans: readonly Plan[];
  /** Users ÷ seats. */
  fill: [number, number];
  /** onboardedAt, days before today; null: a trial (never onboarded). */
  onboardedAgo: [number, number] | null;
  /** Chance of being active on a working day `ago` days before today (before personal variation). */
  activity: (ago: number) => number;
  /** Mean feature uses per active day. */
  intensity: number;
  mood: Mood;
  /** Share of the users who join during the window (the rest were there before it). */
  joiners: number;
};

const PROFILES: Record<DemoProfile, ProfileSpec> = {
  healthy: { plans: ['starter', 'growth', 'growth', 'enterprise'], fill: [0.75, 0.95], onboardedAgo: [120, 500], activity: () => 0.55, intensity: 3, mood: 'happy', joiners: 0.12 },
  power: { plans: ['enterprise'], fill: [1, 1.15], onboardedAgo: [200, 700], activity: () => 0.85, intensity: 5, mood: 'happy', joiners: 0.1 },
  rising: { plans: ['growth', 'enterprise'], fill: [0.85, 1], onboardedAgo: [100, 300], activity: (ago) => (ago < 30 ? 0.65 : 0.4), intensity: 3, mood: 'happy', joiners: 0.45 },
  'usage-drop': { plans: ['growth', 'enterprise'], fill: [0.8, 1], onboardedAgo: [150, 600], activity: (ago) => (ago < 30 ? 0.22 : 0.65), intensity: 3, mood: 'unhappy', joiners: 0.05 },
  'low-utilisation': { plans: ['growth', 'enterprise'], fill: [0.3, 0.45], onboardedAgo: [100, 400], activity: () => 0.5, intensity: 2.5, mood: 'neutral', joiners: 0.1 },
  'quiet-champion': { plans: ['growth', 'enterprise'], fill: [0.75, 0.95], onboardedAgo: [150, 500], activity: () => 0.5, intensity: 3, mood: 'neutral', joiners: 0.08 },
  'slow-start': { plans: ['starter', 'growth'], fill: [0.6, 0.9], onboardedAgo: [33, 57], activity: () => 0.12, intensity: 1.2, mood: 'neutral', joiners: 1 },
  onboarding: { plans: ['starter', 'growth'], fill: [0.5, 0.8], onboardedAgo: [4, 26], activity: () => 0.6, intensity: 3, mood: 'happy', joiners: 1 },
  trial: { plans: ['trial'], fill: [0.6, 1], onboardedAgo: null, activity: () => 0.5, intensity: 3, mood: 'neutral', joiners: 1 },
  churning: { plans: ['starter', 'growth'], fill: [0.7, 0.9], onboardedAgo: [200, 500], activity: () => 0.45, intensity: 2, mood: 'unhappy', joiners: 0 },
};

/** Accounts of each profile per hundred. */
const PROFILE_SHARE: Record<DemoProfile, number> = {
  healthy: 28, power: 8, rising: 10, 'usage-drop': 10, 'low-utilisation': 10, 'quiet-champion': 8, 'slow-start': 9, onboarding: 6, trial: 6, churning: 5,
};

const SEATS: Record<Plan, [number, number]> = { starter: [3, 8], growth: [8, 20], enterprise: [15, 36], trial: [3, 10] };

const COMMENTS: Record<'promoter' | 'passive' | 'detractor', readonly string[]> = {
  promoter: ['The weekly dashboards save me hours.', 'Alerts caught a problem before our customers did.', 'Easy to share numbers with the team.', ''],
  passive: ['Good, but exports are slow.', 'Does the job.', 'Would like more chart types.', ''],
  detractor: ['Too hard to set up the integrations.', 'My team does not use it anymore.', 'Reports are too slow to load.', 'Missing the data we need.'],
};

const DAY_MS = 86_400_000;

/**
 * The demo events for `days` days ending now.
 *
 * @example
 * const { events, accounts } = generateDemoData({ days: 90, accounts: 100 });
 */
export function generateDemoData(options: DemoOptions = {}): DemoData {
  const days = Math.max(1, Math.trunc(options.days ?? DEMO_DEFAULTS.days));
  const accountCount = Math.max(1, Math.trunc(options.accounts ?? DEMO_DEFAULTS.accounts));
  const seed = options.seed ?? DEMO_DEFAULTS.seed;
  const now = options.now ?? new Date();
  const random = createDemoRandom(seed);
  const last = days - 1;
  const todayStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const minutesToday = Math.floor((now.getTime() - todayStart) / 60_000);
  const dayOf = (ago: number) => new Date(todayStart - ago * DAY_MS).toISOString().slice(0, 10);
  const isWeekend = (ago: number) => [0, 6].includes(new Date(todayStart - ago * DAY_MS).getUTCDay());
  /** A whole-minute timestamp on the day `ago` days before today; today's are squeezed before now. */
  const at = (ago: number, minute: number) => {
    let m = Math.max(0, Math.min(24 * 60 - 1, Math.round(minute)));
    if (ago === 0) m = Math.floor((m * minutesToday) / (24 * 60));
    return new Date(todayStart - ago * DAY_MS + m * 60_000).toISOString();
  };

  const messageIdPrefix = `demo-${seed}-${days}d-${accountCount}a-`;
  const events: DemoEvent[] = [];
  const emit = (event: Omit<DemoEvent, 'messageId'>) => {
    events.push({ messageId: `${messageIdPrefix}${events.length.toString(36)}`, ...event });
  };

  const profiles = profileSequence(accountCount);
  const companyNames = random.shuffle(COMPANY_FIRST.flatMap((first) => COMPANY_SECOND.map((second) => `${first} ${second}`)));
  const usedUserIds = new Set<string>();
  const accounts: DemoAccount[] = [];
  let userCount = 0;

  for (const [index, profileKey] of profiles.entries()) {
    const profile = PROFILES[profileKey];
    const name = companyNames[index % companyNames.length]! + (index >= companyNames.length ? ` ${Math.floor(index / companyNames.length) + 1}` : '');
    const accountId = name.toLowerCase().replaceAll(' ', '-');
    const domain = `${accountId}.example`;
    const plan = random.pick(profile.plans);
    const seats = random.int(...SEATS[plan]);
    const userTotal = Math.max(2, Math.round(seats * (profile.fill[0] + random.next() * (profile.fill[1] - profile.fill[0]))));
    const onboardedAgo = profile.onboardedAgo ? random.int(...profile.onboardedAgo) : null;
    // The first day the account shows up: onboarding (or the trial's start), or the window's start.
    const foundAgo = Math.min(last, onboardedAgo ?? random.int(8, 40));
    const account: DemoAccount = {
      accountId, name, profile: profileKey, plan, seats, onboardedAt: onboardedAgo === null ? null : dayOf(onboardedAgo), userIds: [], champions: [],
    };
    accounts.push(account);

    // —— the people
    type Person = { userId: string; role: DemoRole; joinAgo: number; lastActiveAgo: number; champion: boolean; zeal: number; uses: DemoFeatureChoice; anonymousId: string | null };
    const people: Person[] = [];
    for (let u = 0; u < userTotal; u++) {
      const first = random.pick(FIRST_NAMES);
      const lastName = random.pick(LAST_NAMES);
      let userId = `${first}.${lastName}`.toLowerCase();
      for (let n = 2; usedUserIds.has(userId); n++) userId = `${first}.${lastName}${n}`.toLowerCase();
      usedUserIds.add(userId);
      const founder = u === 0;
      const role: DemoRole = founder ? 'admin' : u === 1 ? 'manager' : random.pick(['analyst', 'analyst', 'viewer', 'viewer', 'manager', 'admin'] as const);
      const champion = founder || (u === 1 && plan === 'enterprise');

      let joinAgo = foundAgo;
      if (!founder) {
        const joinsLater = profile.joiners >= 1 || random.chance(profile.joiners);
        if (profileKey === 'rising' && joinsLater) joinAgo = Math.min(last, random.int(3, 27)); // the growth of the last month
        else if (joinsLater) joinAgo = Math.max(0, foundAgo - random.int(1, Math.max(1, Math.min(foundAgo, profile.joiners >= 1 ? 14 : 80))));
      }

      // Who stops: -1 = still active today.
      let lastActiveAgo = -1;
      if (profileKey === 'churning') lastActiveAgo = random.int(18, 40);
      else if (profileKey === 'quiet-champion' && founder) lastActiveAgo = random.int(16, 35);
      else if (profileKey === 'usage-drop' && !founder && random.chance(0.35)) lastActiveAgo = random.int(22, 40);
      else if (!champion && random.chance(0.06)) lastActiveAgo = random.int(15, 40); // goes quiet (dormant)
      else if (!champion && random.chance(0.03)) lastActiveAgo = random.int(45, 85); // left the company
      lastActiveAgo = Math.min(lastActiveAgo, joinAgo);

      // A few people who sign up during the window looked around anonymously first.
      const anonymousId = joinAgo < last && joinAgo > 0 && random.chance(founder ? 0.6 : 0.15) ? `anon-${accountId}-${u + 1}` : null;
      people.push({ userId, role, joinAgo, lastActiveAgo, champion, zeal: 0.6 + random.next() * 0.8, uses: chooseFeatures(random, role), anonymousId });
      account.userIds.push(userId);
      if (champion) account.champions.push(userId);
    }
    userCount += people.length;

    // —— the CRM's group call (from the founder), then everyone's sign-up
    const founder = people[0]!;
    const traits: Record<string, unknown> = { name, plan, seats, industry: random.pick(DEMO_INDUSTRIES), trial: plan === 'trial' };
    if (onboardedAgo !== null) traits['onboardedAt'] = dayOf(onboardedAgo);
    for (const person of people) {
      const joinMinute = random.int(8 * 60, 9 * 60 + 30);
      if (person.anonymousId) {
        for (let ago = Math.min(last, person.joinAgo + random.int(1, 3)); ago > person.joinAgo; ago--) {
          emit({ type: 'page', timestamp: at(ago, random.int(10 * 60, 17 * 60)), anonymousId: person.anonymousId, name: 'Pricing', properties: { path: '/pricing' } });
        }
      }
      const userTraits: Record<string, unknown> = {
        email: `${person.userId}@${domain}`,
        name: person.userId.split('.').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(' ').replace(/\d+$/, ''),
        role: person.role,
        createdAt: at(person.joinAgo, joinMinute),
      };
      if (person.champion) userTraits['isChampion'] = true;
      emit({ type: 'identify', timestamp: at(person.joinAgo, joinMinute), userId: person.userId, ...(person.anonymousId ? { anonymousId: person.anonymousId } : {}), traits: userTraits });
      emit({
        type: 'group',
        timestamp: at(person.joinAgo, joinMinute + 1),
        userId: person.userId,
        groupId: accountId,
        traits: person === founder ? traits : { name },
      });
    }

    // —— daily use
    for (const [u, person] of people.entries()) {
      for (let ago = person.joinAgo; ago >= 0; ago--) {
        if (person.lastActiveAgo >= 0 && ago < person.lastActiveAgo) break;
        const forced = ago === person.joinAgo || ago === person.lastActiveAgo;
        const base = profile.activity(ago) * person.zeal * (person.champion ? 1.3 : 1);
        const chance = Math.min(0.95, Math.max(person.champion ? 0.35 : 0, base)) * (isWeekend(ago) ? 0.15 : 1);
        if (!forced && !random.chance(chance)) continue;

        const context = { groupId: accountId, sessionId: `${accountId}-${u + 1}-${ago}` };
        let minute = random.int(8 * 60, 18 * 60);
        const started = minute;
        emit({ type: 'track', timestamp: at(ago, minute++), userId: person.userId, event: '$session_start', context, properties: { sessionId: context.sessionId } });
        const page = random.pick(DEMO_PAGES);
        emit({ type: 'page', timestamp: at(ago, minute++), userId: person.userId, name: page, context, properties: { path: `/${page.toLowerCase()}` } });
        const uses = Math.max(1, Math.round(profile.intensity * person.zeal * (0.3 + random.next() * 1.4)));
        for (let i = 0; i < uses; i++) {
          minute += random.int(0, 3);
          emit({ type: 'track', timestamp: at(ago, minute), userId: person.userId, event: person.uses(random), context });
        }
        minute += random.int(1, 6);
        emit({
          type: 'track', timestamp: at(ago, minute), userId: person.userId, event: '$session_end', context,
          properties: { sessionId: context.sessionId, durationMs: (minute - started) * 60_000 },
        });
      }
    }

    // —— NPS: about a third of the people who have been around for two weeks are asked once
    for (const person of people) {
      const lastAsk = Math.min(last, person.joinAgo - 14);
      const firstAsk = Math.max(0, person.lastActiveAgo);
      if (lastAsk < firstAsk || !random.chance(0.35)) continue;
      const ago = random.int(firstAsk, lastAsk);
      const minute = random.int(9 * 60, 17 * 60);
      const context = { groupId: accountId };
      emit({ type: 'track', timestamp: at(ago, minute), userId: person.userId, event: '$nps_shown', context, properties: { surveyId: 'nps-2026' } });
      if (random.chance(0.2)) {
        emit({ type: 'track', timestamp: at(ago, minute + 1), userId: person.userId, event: '$nps_dismissed', context, properties: { surveyId: 'nps-2026' } });
        continue;
      }
      const score = npsScore(random, person.champion && profileKey === 'quiet-champion' ? 'unhappy' : profile.mood);
      const category = score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
      const comment = random.pick(COMMENTS[category]);
      emit({
        type: 'track', timestamp: at(ago, minute + 1), userId: person.userId, event: '$nps_response', context,
        properties: { score, surveyId: 'nps-2026', ...(comment ? { comment } : {}) },
      });
    }
  }

  // Time order, as an import would send them (ties keep the order they were made in).
  const ordered = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (a.event.timestamp < b.event.timestamp ? -1 : a.event.timestamp > b.event.timestamp ? 1 : a.index - b.index))
    .map(({ event }) => event);
  return { events: ordered, accounts, users: userCount, days, from: dayOf(last), to: dayOf(0), messageIdPrefix };
}

/**
 * Profiles in a fixed order: the first ten accounts cover every profile once (so a small demo
 * still has a member in each play), the rest follow the shares per hundred.
 */
function profileSequence(count: number): DemoProfile[] {
  const first: DemoProfile[] = ['healthy', 'power', 'low-utilisation', 'usage-drop', 'quiet-champion', 'slow-start', 'rising', 'onboarding', 'trial', 'churning'];
  const sequence = first.slice(0, count);
  const assigned = new Map<DemoProfile, number>(DEMO_PROFILES.map((key) => [key, sequence.filter((profile) => profile === key).length]));
  for (let n = sequence.length; n < count; n++) {
    // Smooth weighted round robin: the profile furthest below its share comes next.
    let best: DemoProfile = 'healthy';
    let bestDeficit = -Infinity;
    for (const key of DEMO_PROFILES) {
      const deficit = (PROFILE_SHARE[key] * (n + 1)) / 100 - assigned.get(key)!;
      if (deficit > bestDeficit) [best, bestDeficit] = [key, deficit];
    }
    sequence.push(best);
    assigned.set(best, assigned.get(best)! + 1);
  }
  return sequence;
}

type DemoFeatureChoice = (random: DemoRandom) => string;

/** The features one person uses (most people never find some of them), weighted by their role. */
function chooseFeatures(random: DemoRandom, role: DemoRole): DemoFeatureChoice {
  const known = DEMO_FEATURES.filter((feature) => feature.affinity[role] > 0 && random.chance(Math.min(0.95, 0.35 + feature.affinity[role] / 4)));
  const usable = known.length > 0 ? known : [DEMO_FEATURES.find((feature) => feature.event === 'Dashboard Viewed')!];
  const weights = usable.map((feature) => feature.affinity[role] * (0.5 + random.next()));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return (r) => {
    let x = r.next() * total;
    for (const [i, feature] of usable.entries()) {
      x -= weights[i]!;
      if (x < 0) return feature.event;
    }
    return usable[usable.length - 1]!.event;
  };
}

function npsScore(random: DemoRandom, mood: Mood): number {
  const x = random.next();
  const [promoter, passive] = mood === 'happy' ? [0.6, 0.3] : mood === 'neutral' ? [0.3, 0.4] : [0.1, 0.3];
  if (x < promoter) return random.int(9, 10);
  if (x < promoter + passive) return random.int(7, 8);
  return random.int(mood === 'unhappy' ? 0 : 3, 6);
}
