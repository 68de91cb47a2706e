/**
 * The segment fact builder (src/domain/segments/build-facts.ts) without a database: a table test
 * of a small project worked out by hand, and properties over generated projects (support/fact-rows.ts):
 * the facts equal those written naively from the events, whichever form the history comes in and
 * whatever the order of the rows, and whatever facts built before they are built over; active days
 * after the day change nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SegmentThresholds } from '@uptake/protocol';
import { addDays, traitDay } from '../../../src/domain/days.ts';
import { npsCategory, npsOf } from '../../../src/domain/nps.ts';
import { percentileOf } from '../../../src/domain/score.ts';
import { accountActivitySummary } from '../../../src/domain/segments/account-activity.ts';
import { buildSegmentFacts, type FactRows, type ScoresOf } from '../../../src/domain/segments/build-facts.ts';
import type { AccountFacts, SegmentFacts, UserFacts } from '../../../src/domain/segments/facts.ts';
import { historyOf, joinedByUser, withSpans, type HistoryRows } from '../../../src/domain/segments/fold-history.ts';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../../src/domain/segments/thresholds.ts';
import { utilisationChange, utilisationOf } from '../../../src/domain/utilisation.ts';
import {
  ACCOUNTS,
  activePairsOfEvents,
  AS_OF,
  dayEvents,
  dayRowsOf,
  daysBack,
  memberships,
  naiveMember,
  naiveUsers,
  numberedPairs,
  seed,
  shuffled,
  spanRowsOf,
  USERS,
  type ActivePair,
  type DayEvent,
  type Membership,
} from '../../support/fact-rows.ts';

const t = DEFAULT_SEGMENT_THRESHOLDS;
const BEFORE = addDays(AS_OF, -30);
const scoresOf = (byId: Record<string, number>): ScoresOf => ({ byId: new Map(Object.entries(byId)), ascending: Object.values(byId).sort((a, b) => a - b) });
const pair = (day: string, accountId: string, userId: string): ActivePair => ({ day, accountId, userId });

/** Facts as plain data, to compare (the feature set sorted into a list). */
const plain = (facts: SegmentFacts) => ({ ...facts, users: facts.users.map((user) => ({ ...user, featuresUsed: [...user.featuresUsed].sort() })) });

describe('segment fact builder', () => {
  const events: DayEvent[] = [
    { userId: 'u1', accountKey: 'acme', day: '2026-01-15', event: 'Report Created' },
    { userId: 'u1', accountKey: 'acme', day: '2026-03-30', event: '$page' },
    { userId: 'u2', accountKey: '', day: '2026-02-01', event: 'Export CSV' },
    { userId: 'u2', accountKey: '', day: '2026-03-01', event: 'Export CSV' },
    { userId: 'u2', accountKey: 'beta', day: '2026-03-20', event: '$group' },
  ];
  const joined = [{ accountId: 'acme', userId: 'u2' }];
  const rows = (history: HistoryRows): FactRows => ({
    asOf: AS_OF,
    thresholds: t,
    history: historyOf(history),
    traits: { users: new Map([['u2', { isChampion: true }]]), accounts: new Map([['acme', { name: 'Acme', onboardedAt: '2026-02-01T10:00:00Z', trial: true }]]) },
    scores: { users: scoresOf({ u1: 10, u2: 0 }), accounts: scoresOf({ acme: 5, beta: 0 }) },
    userNps: new Map([['u1', 9]]),
    accountNps: new Map([
      [
        'acme',
        new Map([
          ['u1', 9],
          ['u2', 3],
        ]),
      ],
    ]),
    accountsSeen: [
      { accountId: 'beta', firstDay: '2026-03-20' },
      { accountId: 'acme', firstDay: '2026-01-10' },
    ],
    seats: { asOf: [{ accountId: 'acme', seats: 4 }], before: [{ accountId: 'acme', seats: 2 }] },
    activity: accountActivitySummary(
      {
        // acme: u1 0, 1 and 6 days back (3 user-days, week 0); 31 days back and u2 30 back: the period before, past week 3.
        asOf: numberedPairs([pair('2026-03-31', 'acme', 'u1'), pair('2026-03-30', 'acme', 'u1'), pair('2026-03-25', 'acme', 'u1'), pair('2026-03-01', 'acme', 'u2'), pair('2026-02-28', 'acme', 'u1')]),
        before: numberedPairs([pair('2026-02-15', 'acme', 'u1'), pair('2026-03-01', 'acme', 'u2'), pair('2026-01-30', 'acme', 'u3')]),
      },
      AS_OF,
      t,
    ),
  });
  const expected = {
    asOf: AS_OF,
    accounts: [
      {
        accountId: 'acme',
        firstSeen: '2026-01-10',
        lastActive: '2026-03-30',
        onboardedAt: '2026-02-01',
        trial: true,
        score: 5,
        percentile: 100,
        seats: 4,
        activeUsers30d: 1,
        utilisation: 0.25,
        utilisation30dAgo: 1,
        utilisationChange: -0.75,
        activeUserDays: 3,
        activeUserDaysBefore: 2,
        activeWeeks: [true, false, false, false],
        memberCount: 2,
        quietChampions: ['u2'],
        nps: 0,
        npsResponses: 2,
        traits: { name: 'Acme', onboardedAt: '2026-02-01T10:00:00Z', trial: true },
        memberIds: ['u1', 'u2'],
      },
      {
        accountId: 'beta',
        firstSeen: '2026-03-20',
        lastActive: null,
        onboardedAt: null,
        trial: false,
        score: 0,
        percentile: 0,
        seats: null,
        activeUsers30d: 0,
        utilisation: null,
        utilisation30dAgo: null,
        utilisationChange: null,
        activeUserDays: 0,
        activeUserDaysBefore: 0,
        activeWeeks: [false, false, false, false],
        memberCount: 1,
        quietChampions: ['u2'],
        nps: null,
        npsResponses: 0,
        traits: {},
        memberIds: ['u2'],
      },
    ],
    users: [
      { userId: 'u1', firstSeen: '2026-01-15', lastActive: '2026-03-30', score: 10, percentile: 100, accounts: ['acme'], nps: 9, npsCategory: 'promoter', traits: {}, featuresUsed: ['Report Created'] },
      { userId: 'u2', firstSeen: '2026-02-01', lastActive: '2026-03-01', score: 0, percentile: 0, accounts: ['beta'], nps: null, npsCategory: null, traits: { isChampion: true }, featuresUsed: ['Export CSV'] },
    ],
  };

  it.each([
    { form: 'event spans', history: spanRowsOf(events, joined) },
    { form: 'every day’s rows', history: dayRowsOf(events, joined) },
  ])('builds a small project’s facts, worked out by hand, from $form', ({ history }) => {
    expect(plain(buildSegmentFacts(rows(history)))).toEqual(expected);
  });

  it('gives a user and an account seen with no scores, seats, answers or activity their zero facts', () => {
    const facts = buildSegmentFacts({
      ...rows({ from: 'spans', spans: [{ userId: 'u9', accountKey: 'solo', firstDay: '2026-03-31', lastActive: null, features: null }], memberships: [] }),
      traits: { users: new Map(), accounts: new Map() },
      scores: { users: scoresOf({}), accounts: scoresOf({}) },
      userNps: new Map(),
      accountNps: new Map(),
      accountsSeen: [{ accountId: 'solo', firstDay: '2026-03-31' }],
      seats: { asOf: [], before: [] },
      activity: accountActivitySummary({ asOf: numberedPairs([]), before: numberedPairs([]) }, AS_OF, DEFAULT_SEGMENT_THRESHOLDS),
    });
    expect(plain(facts)).toEqual({
      asOf: AS_OF,
      accounts: [{ ...expected.accounts[1], accountId: 'solo', firstSeen: '2026-03-31', memberIds: ['u9'], quietChampions: [] }],
      users: [{ userId: 'u9', firstSeen: '2026-03-31', lastActive: null, score: 0, percentile: 0, accounts: ['solo'], nps: null, npsCategory: null, traits: {}, featuresUsed: [] }],
    });
  });
});

// ————————————————————————————————————————————————————————— generated projects

/** A project as the readers would see it as of AS_OF: events and joins, and the figures read beside them. */
type Project = {
  events: DayEvent[];
  joined: Membership[];
  /** Joins by 30 days before: the active pairs of then are attributed with these. */
  joinedBefore: Membership[];
  thresholds: SegmentThresholds;
  seenBack: Record<string, number | null>;
  champions: string[];
  accountTraits: Record<string, Record<string, unknown>>;
  userScores: Record<string, number>;
  accountScores: Record<string, number>;
  userNps: Array<{ userId: string; score: number }>;
  accountNps: Array<{ accountId: string; score: number }>;
  seats: Record<string, number | null>;
  seatsBefore: Record<string, number | null>;
};

const perAccount = <T>(value: fc.Arbitrary<T>) => fc.record(Object.fromEntries(ACCOUNTS.map((id) => [id, value])) as Record<(typeof ACCOUNTS)[number], fc.Arbitrary<T>>);
const perUser = <T>(value: fc.Arbitrary<T>) => fc.record(Object.fromEntries(USERS.map((id) => [id, value])) as Record<(typeof USERS)[number], fc.Arbitrary<T>>);
const score = fc.integer({ min: 0, max: 10 });

const projects: fc.Arbitrary<Project> = fc
  .record({
    events: dayEvents(120),
    joined: memberships,
    keepBefore: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    overrides: fc.record({ usageDropPeriodDays: fc.integer({ min: 1, max: 40 }), weeklyActiveWeeks: fc.integer({ min: 1, max: 10 }), championQuietDays: fc.integer({ min: 1, max: 60 }) }),
    seenBack: perAccount(fc.option(fc.integer({ min: 0, max: 150 }))),
    champions: fc.subarray([...USERS]),
    accountTraits: perAccount(fc.record({ onboardedAt: fc.constantFrom(undefined, '2026-02-01', '2026-03-15T08:00:00Z', 'soon'), trial: fc.constantFrom(undefined, true, 'yes') }, { requiredKeys: [] })),
    userScores: perUser(fc.integer({ min: 0, max: 50 })),
    accountScores: perAccount(fc.integer({ min: 0, max: 50 })),
    userNps: perUser(fc.option(score)),
    accountNps: fc.array(fc.record({ accountId: fc.constantFrom(...ACCOUNTS), score }), { maxLength: 8 }),
    seats: perAccount(fc.option(fc.integer({ min: 0, max: 5 }))),
    seatsBefore: perAccount(fc.option(fc.integer({ min: 0, max: 5 }))),
  })
  .map(({ joined, keepBefore, overrides, userNps, ...rest }) => ({
    ...rest,
    joined,
    joinedBefore: joined.filter((_, index) => keepBefore[index]),
    thresholds: { ...DEFAULT_SEGMENT_THRESHOLDS, ...overrides },
    userNps: Object.entries(userNps).flatMap(([userId, answer]) => (answer === null ? [] : [{ userId, score: answer }])),
  }));

/** Answers of accounts as the reader gives them (account → user → score), each answer from a user of its own. */
function answersByAccount(rows: ReadonlyArray<{ accountId: string; score: number }>): FactRows['accountNps'] {
  const byAccount = new Map<string, Map<string, number>>();
  rows.forEach((row, index) => byAccount.set(row.accountId, (byAccount.get(row.accountId) ?? new Map()).set(`answer-${index}`, row.score)));
  return byAccount;
}

/** The readers' rows of a project (the history in the form asked), each list in an order drawn from `order`. */
function factRows(project: Project, form: 'spans' | 'days', order: number): FactRows {
  const rowsOf = form === 'spans' ? spanRowsOf : dayRowsOf;
  const history = historyOf(rowsOf(shuffled(project.events, order), shuffled(project.joined, order + 1)));
  const entries = <T>(record: Record<string, T>) => shuffled(Object.entries(record), order + 2);
  return {
    asOf: AS_OF,
    thresholds: project.thresholds,
    history,
    traits: {
      users: new Map(project.champions.map((userId) => [userId, { isChampion: true }])),
      accounts: new Map(entries(project.accountTraits)),
    },
    scores: { users: scoresOf(project.userScores), accounts: scoresOf(project.accountScores) },
    userNps: new Map(shuffled(project.userNps, order + 3).map((row) => [row.userId, row.score])),
    accountNps: answersByAccount(shuffled(project.accountNps, order + 4)),
    accountsSeen: entries(project.seenBack).flatMap(([accountId, back]) => (back === null ? [] : [{ accountId, firstDay: addDays(AS_OF, -back) }])),
    seats: {
      asOf: entries(project.seats).map(([accountId, seats]) => ({ accountId, seats })),
      before: entries(project.seatsBefore).map(([accountId, seats]) => ({ accountId, seats })),
    },
    activity: accountActivitySummary(
      {
        asOf: numberedPairs(activePairsOfEvents(project.events, project.joined), order + 5),
        before: numberedPairs(activePairsOfEvents(project.events, project.joinedBefore), order + 6),
      },
      AS_OF,
      project.thresholds,
    ),
  };
}

/** The facts of a project written straight from its events and figures, one account or user at a time. */
function naiveFacts(project: Project): SegmentFacts {
  const t = project.thresholds;
  const pairsNow = activePairsOfEvents(project.events, project.joined);
  const pairsBefore = activePairsOfEvents(project.events, project.joinedBefore);
  const usersIn = (pairs: ActivePair[], accountId: string, asOf: string) => new Set(pairs.filter((p) => p.accountId === accountId && daysBack(p.day, asOf) >= 0 && daysBack(p.day, asOf) < 30).map((p) => p.userId)).size;
  const userScores = Object.values(project.userScores).sort((a, b) => a - b);
  const accountScores = Object.values(project.accountScores).sort((a, b) => a - b);
  const users = naiveUsers(project.events);
  const accounts: AccountFacts[] = ACCOUNTS.filter((accountId) => project.seenBack[accountId] !== null).map((accountId) => {
    const members = users.flatMap(({ userId }) => {
      const member = naiveMember(project.events, project.joined, accountId, userId);
      return member ? [{ userId, ...member }] : [];
    });
    const backs = pairsNow.filter((p) => p.accountId === accountId).map((p) => daysBack(p.day, AS_OF));
    const active = usersIn(pairsNow, accountId, AS_OF);
    const utilisation = utilisationOf(active, project.seats[accountId] ?? null);
    const utilisation30dAgo = utilisationOf(usersIn(pairsBefore, accountId, BEFORE), project.seatsBefore[accountId] ?? null);
    const answers = project.accountNps.filter((row) => row.accountId === accountId).map((row) => row.score);
    const traits = project.accountTraits[accountId]!;
    const lastActives = members.flatMap((m) => (m.lastActive === null ? [] : [m.lastActive])).sort();
    return {
      accountId,
      firstSeen: [addDays(AS_OF, -project.seenBack[accountId]!), ...members.map((m) => m.firstDay)].sort()[0]!,
      lastActive: lastActives.at(-1) ?? null,
      onboardedAt: traitDay(traits['onboardedAt']),
      trial: traits['trial'] === true,
      score: project.accountScores[accountId]!,
      percentile: percentileOf(accountScores, project.accountScores[accountId]!),
      seats: project.seats[accountId] ?? null,
      activeUsers30d: active,
      utilisation,
      utilisation30dAgo,
      utilisationChange: utilisationChange(utilisation, utilisation30dAgo),
      activeUserDays: backs.filter((back) => back < t.usageDropPeriodDays).length,
      activeUserDaysBefore: backs.filter((back) => back >= t.usageDropPeriodDays && back < 2 * t.usageDropPeriodDays).length,
      activeWeeks: Array.from({ length: t.weeklyActiveWeeks }, (_, week) => backs.some((back) => back >= 7 * week && back < 7 * week + 7)),
      memberCount: members.length,
      quietChampions: members.filter((m) => project.champions.includes(m.userId) && (m.lastActive === null || daysBack(m.lastActive, AS_OF) >= t.championQuietDays)).map((m) => m.userId),
      nps: answers.length === 0 ? null : npsOf(answers).nps,
      npsResponses: answers.length,
      traits,
      memberIds: members.map((m) => m.userId),
    };
  });
  return {
    asOf: AS_OF,
    accounts,
    users: users.map((user): UserFacts => {
      const answer = project.userNps.find((row) => row.userId === user.userId)?.score ?? null;
      const userScore = project.userScores[user.userId]!;
      return {
        ...user,
        featuresUsed: new Set(user.featuresUsed),
        score: userScore,
        percentile: percentileOf(userScores, userScore),
        nps: answer,
        npsCategory: answer === null ? null : npsCategory(answer),
        traits: project.champions.includes(user.userId) ? { isChampion: true } : {},
      };
    }),
  };
}

describe('segment fact builder on generated projects', () => {
  it('builds the facts written naively from the events, from either form of history, in any order of the rows', () => {
    fc.assert(
      fc.property(projects, seed, (project, order) => {
        const expected = plain(naiveFacts(project));
        expect(plain(buildSegmentFacts(factRows(project, 'spans', order)))).toEqual(expected);
        expect(plain(buildSegmentFacts(factRows(project, 'days', order + 9)))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('builds over the facts of earlier rows the facts it builds from nothing, taking unchanged users as they were', () => {
    fc.assert(
      fc.property(projects, projects, dayEvents(30), seed, (project, other, newer, order) => {
        const rows = factRows(project, 'spans', order);
        const kept = historyOf(spanRowsOf(project.events, project.joined));
        const { spans } = spanRowsOf(newer, project.joined) as Extract<HistoryRows, { from: 'spans' }>;
        const later = { ...rows, history: withSpans(kept, spans, joinedByUser(project.joined)) };
        const expected = plain(buildSegmentFacts(later));
        // Before: the same scores, answers and traits; another project's; the same but for the users' traits.
        const sameInputs = buildSegmentFacts({ ...rows, history: kept });
        const otherRows = factRows(other, 'spans', order);
        const otherInputs = buildSegmentFacts({ ...otherRows, history: kept });
        const otherTraits = buildSegmentFacts({ ...rows, history: kept, traits: { ...rows.traits, users: otherRows.traits.users } });
        const built = buildSegmentFacts(later, sameInputs);
        expect(plain(built)).toEqual(expected);
        expect(plain(buildSegmentFacts(later, otherInputs))).toEqual(expected);
        expect(plain(buildSegmentFacts(later, otherTraits))).toEqual(expected);
        const touched = new Set<string>(newer.map((event) => event.userId));
        for (const user of built.users) if (!touched.has(user.userId)) expect(sameInputs.users).toContain(user);
      }),
      { numRuns: 200 },
    );
  });

  it('changes nothing when active days after the day (or after the day 30 days before, for then) are added', () => {
    fc.assert(
      fc.property(projects, dayEvents(0), seed, (project, extra, order) => {
        const rows = factRows(project, 'spans', order);
        const after = (day: string) => extra.map((e, index) => ({ ...e, day: addDays(day, 1 + (index % 9)) }));
        const pairs = (events: DayEvent[], joined: Membership[], salt: number) => numberedPairs(activePairsOfEvents(events, joined), order + salt);
        const upToBefore = project.events.filter((e) => e.day <= BEFORE);
        const now = pairs(project.events, project.joined, 0);
        const summary = (asOf: typeof now, before: typeof now) => accountActivitySummary({ asOf, before }, AS_OF, project.thresholds);
        const variants: FactRows[] = [
          { ...rows, activity: summary(pairs([...project.events, ...after(AS_OF)], project.joined, 1), pairs([...project.events, ...after(BEFORE)], project.joinedBefore, 2)) },
          { ...rows, activity: summary(now, pairs(upToBefore, project.joinedBefore, 3)) },
        ];
        const facts = plain(buildSegmentFacts(rows));
        for (const variant of variants) expect(plain(buildSegmentFacts(variant))).toEqual(facts);
      }),
      { numRuns: 200 },
    );
  });
});
