/**
 * Property tests of the segment rules (src/domain/segments): pure functions over facts, so random
 * facts stand in for a database. Built-in segments are checked against docs/api.md's segment table restated
 * here in whole-number arithmetic (utilisation < 60 % ⇔ 10 × active < 6 × seats …), so a value
 * exactly on a threshold is decided exactly, without the implementation's tolerance; custom rules
 * against set algebra; ranking segments against monotonicity in the score.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SegmentRule } from '@uptake/protocol';
import { addDays } from '../../src/domain/days.ts';
import { accountSegmentMembers, userSegmentMembers } from '../../src/domain/segments/built-in.ts';
import { featureCountKey, matchesRule, type FeatureCounts } from '../../src/domain/segments/custom-rule.ts';
import type { AccountFacts, UserFacts } from '../../src/domain/segments/facts.ts';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../src/domain/segments/thresholds.ts';

const AS_OF = '2026-03-31';
const t = DEFAULT_SEGMENT_THRESHOLDS;
const ago = (days: number) => addDays(AS_OF, -days);
const FEATURES = ['Report Created', 'Export CSV', 'Invite Sent'] as const;

// ————————————————————————————————————————————————————————— facts from whole numbers

/** What an account's facts are made of; small ranges, so ties and exact thresholds (6 of 10 seats) are common. */
type AccountSource = {
  firstSeenAgo: number;
  lastActiveAgo: number | null;
  onboardedAgo: number | null;
  trial: boolean;
  score: number;
  seats: number | null;
  activeUsers30d: number;
  seats30dAgo: number | null;
  activeUsers30dAgo: number;
  activeUserDays: number;
  activeUserDaysBefore: number;
  activeWeeks: boolean[];
  quietChampions: string[];
  plan: string;
};

const seatCount = fc.oneof(fc.constant(null), fc.constant(0), fc.constantFrom(5, 10, 20), fc.integer({ min: 1, max: 40 }));
const accountSource: fc.Arbitrary<AccountSource> = fc.record({
  firstSeenAgo: fc.integer({ min: 0, max: 120 }),
  lastActiveAgo: fc.option(fc.integer({ min: 0, max: 60 })),
  onboardedAgo: fc.option(fc.integer({ min: -10, max: 120 })),
  trial: fc.boolean(),
  score: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 2000 })),
  seats: seatCount,
  activeUsers30d: fc.integer({ min: 0, max: 25 }),
  seats30dAgo: seatCount,
  activeUsers30dAgo: fc.integer({ min: 0, max: 25 }),
  activeUserDays: fc.integer({ min: 0, max: 40 }),
  activeUserDaysBefore: fc.integer({ min: 0, max: 40 }),
  activeWeeks: fc.array(fc.boolean(), { minLength: t.weeklyActiveWeeks, maxLength: t.weeklyActiveWeeks }),
  quietChampions: fc.subarray(['champ-a', 'champ-b']),
  plan: fc.constantFrom('growth', 'starter', 'enterprise'),
});

/** round(100 × percent_rank) among `all` (docs/api.md, Definitions), as the facts carry it. */
const percentileAmong = (score: number, all: readonly number[]) => (all.length <= 1 ? 0 : Math.round((100 * all.filter((other) => other < score).length) / (all.length - 1)));
const ratio = (active: number, seats: number | null) => (seats === null || seats === 0 ? null : active / seats);

/** Facts as the query layer hands them over: utilisation as active ÷ seats, percentiles among all accounts. */
function accountFacts(sources: readonly AccountSource[]): AccountFacts[] {
  const scores = sources.map((source) => source.score);
  return sources.map((source, index) => {
    const utilisation = ratio(source.activeUsers30d, source.seats);
    const utilisation30dAgo = ratio(source.activeUsers30dAgo, source.seats30dAgo);
    return {
      accountId: `acct-${String(index).padStart(3, '0')}`,
      firstSeen: ago(source.firstSeenAgo),
      lastActive: source.lastActiveAgo === null ? null : ago(source.lastActiveAgo),
      onboardedAt: source.onboardedAgo === null ? null : ago(source.onboardedAgo),
      trial: source.trial,
      score: source.score,
      percentile: percentileAmong(source.score, scores),
      seats: source.seats,
      activeUsers30d: source.activeUsers30d,
      utilisation,
      utilisation30dAgo,
      utilisationChange: utilisation !== null && utilisation30dAgo ? utilisation / utilisation30dAgo - 1 : null,
      activeUserDays: source.activeUserDays,
      activeUserDaysBefore: source.activeUserDaysBefore,
      activeWeeks: source.activeWeeks,
      memberCount: source.quietChampions.length + 1,
      quietChampions: source.quietChampions,
      nps: null,
      npsResponses: 0,
      memberIds: [],
      traits: { plan: source.plan, ...(source.trial ? { trial: true } : {}) },
    };
  });
}

type UserSource = { firstSeenAgo: number; lastActiveAgo: number | null; score: number; nps: number | null; featuresUsed: string[]; role: string | null };
const userSource: fc.Arbitrary<UserSource> = fc.record({
  firstSeenAgo: fc.integer({ min: 0, max: 90 }),
  lastActiveAgo: fc.option(fc.integer({ min: 0, max: 60 })),
  score: fc.integer({ min: 0, max: 60 }),
  nps: fc.option(fc.integer({ min: 0, max: 10 })),
  featuresUsed: fc.subarray([...FEATURES]),
  role: fc.option(fc.constantFrom('admin', 'viewer')),
});

function userFacts(sources: readonly UserSource[]): UserFacts[] {
  const scores = sources.map((source) => source.score);
  return sources.map((source, index) => ({
    userId: `user-${String(index).padStart(3, '0')}`,
    firstSeen: ago(source.firstSeenAgo),
    lastActive: source.lastActiveAgo === null ? null : ago(Math.min(source.lastActiveAgo, source.firstSeenAgo)),
    score: source.score,
    percentile: percentileAmong(source.score, scores),
    accounts: [],
    nps: source.nps,
    npsCategory: source.nps === null ? null : source.nps >= 9 ? 'promoter' : source.nps >= 7 ? 'passive' : 'detractor',
    traits: source.role === null ? {} : { role: source.role },
    featuresUsed: new Set(source.featuresUsed),
  }));
}

const accountSources = fc.array(accountSource, { minLength: 0, maxLength: 30 });
const userSources = fc.array(userSource, { minLength: 0, maxLength: 30 });

// ————————————————————————————————————————————————————————— docs/api.md's segment table, restated in whole numbers

const ACCOUNT_KEYS = [
  'post-onboarding', 'low-utilization', 'rising-utilization', 'usage-drop', 'weekly-active', 'top',
  'low-engagement-after-onboarding', 'champion-disengaged', 'trial-ready', 'expansion-ready',
] as const;
const USER_KEYS = ['new-users', 'dormant', 'nps-promoters', 'nps-passives', 'nps-detractors', ...FEATURES.map((feature) => `feature-unused:${feature}`)] as const;

/** Whether the account at `index` is in segment `key`, from the sources alone (default thresholds). */
function inAccountSegment(key: (typeof ACCOUNT_KEYS)[number], sources: readonly AccountSource[], index: number): boolean {
  const a = sources[index]!;
  const known = (seats: number | null): seats is number => seats !== null && seats > 0;
  switch (key) {
    case 'post-onboarding': // onboardedAt in the past (today included), or first seen ≥ 30 days ago
      return (a.onboardedAgo !== null && a.onboardedAgo >= 0) || a.firstSeenAgo >= 30;
    case 'low-utilization': // active ÷ seats < 60 %
      return known(a.seats) && 10 * a.activeUsers30d < 6 * a.seats;
    case 'rising-utilization': // (active ÷ seats) ÷ (active30 ÷ seats30) − 1 > 10 %
      return known(a.seats) && known(a.seats30dAgo) && a.activeUsers30dAgo > 0 && 10 * a.activeUsers30d * a.seats30dAgo > 11 * a.activeUsers30dAgo * a.seats;
    case 'usage-drop': // user-days of the last 30 d ≤ 70 % of the 30 d before (which had some)
      return a.activeUserDaysBefore > 0 && 10 * a.activeUserDays <= 7 * a.activeUserDaysBefore;
    case 'weekly-active':
      return a.activeWeeks.every(Boolean);
    case 'top': {
      // top 10 % by score: fewer than ⌈n ÷ 10⌉ accounts score higher (ties at the cut in), and some score
      const higher = sources.filter((other) => other.score > a.score).length;
      return a.score > 0 && higher < Math.ceil(sources.length / 10);
    }
    case 'low-engagement-after-onboarding': {
      // onboarded 30–60 days ago and in the bottom quartile: round(100 × lower ÷ (n − 1)) ≤ 25
      const lower = sources.filter((other) => other.score < a.score).length;
      const bottom = sources.length <= 1 || Math.round((100 * lower) / (sources.length - 1)) <= 25;
      return a.onboardedAgo !== null && a.onboardedAgo >= 30 && a.onboardedAgo <= 60 && bottom;
    }
    case 'champion-disengaged':
      return a.quietChampions.length > 0;
    case 'trial-ready': {
      // trial, and in the top quartile of trial accounts: lower ÷ (m − 1) ≥ 3 ÷ 4
      const trials = sources.filter((other) => other.trial);
      const lower = trials.filter((other) => other.score < a.score).length;
      return a.trial && trials.length > 1 && 4 * lower >= 3 * (trials.length - 1);
    }
    case 'expansion-ready': // active ÷ seats ≥ 90 %
      return known(a.seats) && 10 * a.activeUsers30d >= 9 * a.seats;
  }
}

function inUserSegment(key: (typeof USER_KEYS)[number], source: UserSource): boolean {
  const lastActiveAgo = source.lastActiveAgo === null ? null : Math.min(source.lastActiveAgo, source.firstSeenAgo);
  if (key.startsWith('feature-unused:')) return lastActiveAgo !== null && lastActiveAgo <= 29 && !source.featuresUsed.includes(key.slice('feature-unused:'.length));
  switch (key) {
    case 'new-users': // first seen ≤ 7 days ago: today and the 6 days before
      return source.firstSeenAgo <= 6;
    case 'dormant': // active in the 30 days before the last 14, not in the last 14
      return lastActiveAgo !== null && lastActiveAgo >= 14 && lastActiveAgo <= 43;
    case 'nps-promoters':
      return source.nps !== null && source.nps >= 9;
    case 'nps-passives':
      return source.nps !== null && source.nps >= 7 && source.nps <= 8;
    case 'nps-detractors':
      return source.nps !== null && source.nps <= 6;
  }
  throw new Error(key);
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('built-in segments', () => {
  it('property: account members are exactly the accounts docs/api.md’s segment table selects', () => {
    fc.assert(
      fc.property(accountSources, fc.constantFrom(...ACCOUNT_KEYS), (sources, key) => {
        const facts = accountFacts(sources);
        const expected = facts.filter((_, index) => inAccountSegment(key, sources, index)).map((account) => account.accountId);
        expect(accountSegmentMembers(key, facts, t, AS_OF)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('property: user members are exactly the users docs/api.md’s segment table selects', () => {
    fc.assert(
      fc.property(userSources, fc.constantFrom(...USER_KEYS), (sources, key) => {
        const facts = userFacts(sources);
        const expected = facts.filter((_, index) => inUserSegment(key, sources[index]!)).map((user) => user.userId);
        expect(userSegmentMembers(key, facts, t, AS_OF)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a project’s own shares and utilisation thresholds (whole percents) are applied exactly', () => {
    fc.assert(
      fc.property(accountSources, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 }), (sources, share, low, high) => {
        const facts = accountFacts(sources);
        const thresholds = { ...t, topShare: share / 100, lowUtilisation: low / 100, expansionUtilisation: high / 100 };
        const ids = (keep: (a: AccountSource) => boolean) => facts.filter((_, index) => keep(sources[index]!)).map((account) => account.accountId);
        const known = (seats: number | null): seats is number => seats !== null && seats > 0;
        const top = ids((a) => a.score > 0 && sources.filter((other) => other.score > a.score).length < Math.ceil((share * sources.length) / 100));
        expect(accountSegmentMembers('top', facts, thresholds, AS_OF)).toEqual(top);
        expect(accountSegmentMembers('low-utilization', facts, thresholds, AS_OF)).toEqual(ids((a) => known(a.seats) && 100 * a.activeUsers30d < low * a.seats));
        expect(accountSegmentMembers('expansion-ready', facts, thresholds, AS_OF)).toEqual(ids((a) => known(a.seats) && 100 * a.activeUsers30d >= high * a.seats));
      }),
      { numRuns: 500 },
    );
  });

  it('decides values exactly on a threshold as the table says', () => {
    const base: AccountSource = {
      firstSeenAgo: 10, lastActiveAgo: 0, onboardedAgo: null, trial: false, score: 0, seats: null, activeUsers30d: 0,
      seats30dAgo: null, activeUsers30dAgo: 0, activeUserDays: 0, activeUserDaysBefore: 0, activeWeeks: [true, true, true, true], quietChampions: [], plan: 'growth',
    };
    const members = (key: string, changes: Partial<AccountSource>) => accountSegmentMembers(key, accountFacts([{ ...base, ...changes }]), t, AS_OF).length === 1;
    expect(members('low-utilization', { seats: 10, activeUsers30d: 6 })).toBe(false); // exactly 60 %
    expect(members('low-utilization', { seats: 20, activeUsers30d: 11 })).toBe(true); // 55 %
    expect(members('expansion-ready', { seats: 10, activeUsers30d: 9 })).toBe(true); // exactly 90 %
    expect(members('usage-drop', { activeUserDays: 7, activeUserDaysBefore: 10 })).toBe(true); // exactly 70 %
    expect(members('usage-drop', { activeUserDays: 14, activeUserDaysBefore: 20 })).toBe(true); // exactly 70 %
    expect(members('usage-drop', { activeUserDays: 15, activeUserDaysBefore: 21 })).toBe(false); // 71 %
    expect(members('rising-utilization', { seats: 20, activeUsers30d: 11, seats30dAgo: 20, activeUsers30dAgo: 10 })).toBe(false); // 0.55 ÷ 0.5 − 1 = 10 % on paper
    // A project's top 28 % of 25 accounts is 7 (0.28 × 25 is 7.000000000000001 in floats).
    const twentyFive = accountFacts(Array.from({ length: 25 }, (_, i) => ({ ...base, score: i + 1 })));
    expect(accountSegmentMembers('top', twentyFive, { ...t, topShare: 0.28 }, AS_OF)).toHaveLength(7);
    expect(members('post-onboarding', { firstSeenAgo: 30 })).toBe(true);
    expect(members('post-onboarding', { firstSeenAgo: 29, onboardedAgo: -1 })).toBe(false);
    const users = (changes: Partial<UserSource>) =>
      userSegmentMembers('dormant', userFacts([{ firstSeenAgo: 60, lastActiveAgo: 0, score: 0, nps: null, featuresUsed: [], role: null, ...changes }]), t, AS_OF).length === 1;
    expect(users({ lastActiveAgo: 14 })).toBe(true); // quiet for exactly the 14 days
    expect(users({ lastActiveAgo: 13 })).toBe(false);
    expect(users({ lastActiveAgo: 43 })).toBe(true);
    expect(users({ lastActiveAgo: 44 })).toBe(false);
  });

  it('property: members do not depend on the order the facts come in', () => {
    fc.assert(
      fc.property(accountSources, userSources, fc.constantFrom(...ACCOUNT_KEYS), fc.constantFrom(...USER_KEYS), fc.nat(), (accounts, users, accountKey, userKey, seed) => {
        const accountList = accountFacts(accounts);
        const userList = userFacts(users);
        const shuffle = <T>(items: readonly T[]) => [...items].map((item, index) => ({ item, order: (index * 7919 + seed) % 104_729 })).sort((a, b) => a.order - b.order).map(({ item }) => item);
        expect(sorted(accountSegmentMembers(accountKey, shuffle(accountList), t, AS_OF))).toEqual(sorted(accountSegmentMembers(accountKey, accountList, t, AS_OF)));
        expect(sorted(userSegmentMembers(userKey, shuffle(userList), t, AS_OF))).toEqual(sorted(userSegmentMembers(userKey, userList, t, AS_OF)));
      }),
    );
  });

  it('property: top, trial-ready and low-engagement-after-onboarding are monotone in the score', () => {
    fc.assert(
      fc.property(fc.array(accountSource, { minLength: 1, maxLength: 30 }), fc.nat(), fc.integer({ min: 1, max: 500 }), (sources, pick, raise) => {
        const index = pick % sources.length;
        const raised = sources.map((source, i) => (i === index ? { ...source, score: source.score + raise } : source));
        const id = accountFacts(sources)[index]!.accountId;
        const isIn = (key: string, list: readonly AccountSource[]) => accountSegmentMembers(key, accountFacts(list), t, AS_OF).includes(id);
        // A higher score never takes an account out of a top segment, nor into the bottom quartile.
        if (isIn('top', sources)) expect(isIn('top', raised)).toBe(true);
        if (isIn('trial-ready', sources)) expect(isIn('trial-ready', raised)).toBe(true);
        if (isIn('low-engagement-after-onboarding', raised)) expect(isIn('low-engagement-after-onboarding', sources)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ————————————————————————————————————————————————————————— custom rules

const numberCondition: fc.Arbitrary<SegmentRule> = fc.oneof(
  fc.record({
    field: fc.constantFrom('score', 'percentile', 'utilisation', 'utilisationChange', 'seats', 'activeUsers30d', 'activeUserDays', 'daysSinceFirstSeen', 'daysSinceLastActive', 'daysSinceOnboarded'),
    op: fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'),
    value: fc.oneof(fc.integer({ min: -5, max: 60 }), fc.constantFrom(0.5, 0.6, 0.9, 0.1)),
  }),
  fc.record({ field: fc.constantFrom('utilisation', 'seats', 'daysSinceOnboarded', 'daysSinceLastActive'), op: fc.constant('exists'), value: fc.boolean() }),
) as fc.Arbitrary<SegmentRule>;
const traitCondition: fc.Arbitrary<SegmentRule> = fc.oneof(
  fc.record({ field: fc.constant('trait'), name: fc.constant('plan'), op: fc.constantFrom('eq', 'ne', 'gt', 'lt'), value: fc.constantFrom('growth', 'starter', 'enterprise') }),
  fc.record({ field: fc.constant('trait'), name: fc.constant('plan'), op: fc.constant('in'), value: fc.subarray(['growth', 'starter', 'enterprise'], { minLength: 1 }) }),
  fc.record({ field: fc.constant('trait'), name: fc.constantFrom('trial', 'region'), op: fc.constantFrom('exists', 'eq'), value: fc.boolean() }),
) as fc.Arbitrary<SegmentRule>;
const featureCondition: fc.Arbitrary<SegmentRule> = fc.record({
  field: fc.constant('featureCount'),
  event: fc.constantFrom(...FEATURES),
  days: fc.constantFrom(7, 30),
  op: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte', 'ne'),
  value: fc.integer({ min: 0, max: 5 }),
}) as fc.Arbitrary<SegmentRule>;

const { rule: ruleArbitrary } = fc.letrec<{ rule: SegmentRule }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
    numberCondition,
    traitCondition,
    featureCondition,
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    tie('rule').map((not) => ({ not })),
  ),
}));

/** Feature counts per (event, days) for the accounts, from a seeded table (absent means 0). */
function countsFor(facts: readonly AccountFacts[], table: readonly number[]): FeatureCounts {
  const counts = new Map<string, Map<string, number>>();
  for (const [f, event] of FEATURES.entries()) {
    for (const days of [7, 30]) {
      const perAccount = new Map<string, number>();
      facts.forEach((account, index) => {
        const n = table[(index * 6 + f * 2 + (days === 7 ? 0 : 1)) % Math.max(1, table.length)] ?? 0;
        if (n > 0) perAccount.set(account.accountId, n);
      });
      counts.set(featureCountKey({ event, days }), perAccount);
    }
  }
  return counts;
}

const world = fc.record({ sources: fc.array(accountSource, { maxLength: 25 }), table: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }) }).map(({ sources, table }) => {
  const facts = accountFacts(sources);
  return { facts, counts: countsFor(facts, table) };
});
type World = { facts: AccountFacts[]; counts: FeatureCounts };
const members = (rule: SegmentRule, { facts, counts }: World) =>
  new Set(facts.filter((account) => matchesRule(rule, { of: 'accounts', facts: account }, AS_OF, counts)).map((account) => account.accountId));

describe('custom rules', () => {
  it('property: a rule and its not partition the accounts', () => {
    fc.assert(
      fc.property(world, ruleArbitrary, (w, rule) => {
        const inside = members(rule, w);
        const outside = members({ not: rule }, w);
        expect([...inside].filter((id) => outside.has(id))).toEqual([]);
        expect(inside.size + outside.size).toBe(w.facts.length);
      }),
      { numRuns: 300 },
    );
  });

  it('property: all is the intersection and any the union of the members of its rules', () => {
    fc.assert(
      fc.property(world, fc.array(ruleArbitrary, { minLength: 1, maxLength: 4 }), (w, rules) => {
        const each = rules.map((rule) => members(rule, w));
        const ids = w.facts.map((account) => account.accountId);
        expect(sorted([...members({ all: rules }, w)])).toEqual(ids.filter((id) => each.every((set) => set.has(id))));
        expect(sorted([...members({ any: rules }, w)])).toEqual(ids.filter((id) => each.some((set) => set.has(id))));
      }),
      { numRuns: 300 },
    );
  });

  it('property: a number condition and its complement split the accounts whose value is known', () => {
    const complement = { eq: 'ne', ne: 'eq', gt: 'lte', lte: 'gt', lt: 'gte', gte: 'lt' } as const;
    const ops = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
    fc.assert(
      fc.property(
        world,
        fc.constantFrom('score', 'utilisation', 'utilisationChange', 'seats', 'daysSinceLastActive'),
        fc.constantFrom(...ops),
        fc.constantFrom(0, 0.1, 0.6, 0.9, 1, 5, 14),
        (w, field, op, value) => {
          const known = members({ field, op: 'exists', value: true } as SegmentRule, w);
          const a = members({ field, op, value } as SegmentRule, w);
          const b = members({ field, op: complement[op], value } as SegmentRule, w);
          // An unknown value (no seats, never active) matches neither side; a known one exactly one.
          expect(sorted([...a, ...b])).toEqual(sorted([...known]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: members do not depend on the order the accounts come in', () => {
    fc.assert(
      fc.property(world, ruleArbitrary, (w, rule) => {
        expect(members(rule, { facts: [...w.facts].reverse(), counts: w.counts })).toEqual(members(rule, w));
      }),
    );
  });
});
