/**
 * Tests of the oracle itself, on tiny hand-made data whose figures are worked out by hand in the
 * comments, and of the generator (determinism, validity, coverage of every scenario).
 */
import { describe, expect, it } from 'vitest';
import { validateEvent } from '@uptake/protocol';
import { createRandom, generateDataset, generateProjectPair } from '../support/generate-data.ts';
import {
  addDays,
  dayOf,
  oracleAccountFacts,
  oracleAccountScore,
  oracleActiveSeries,
  oracleNps,
  oracleRanking,
  oracleSegmentMembers,
  oracleSegmentsOf,
  oracleSnapshot,
  oracleUserFacts,
  oracleUserScore,
  oracleUtilisation,
  percentileOf,
  percentRank,
  roundHalfAwayFromZero,
  type OracleEvent,
} from '../support/oracle.ts';

// ————————————————————————————————————————————————————————— tiny event builders

const AS_OF = '2026-03-31';
/** The day `ago` days before AS_OF (negative: after it). */
const day = (ago: number) => addDays(AS_OF, -ago);
let counter = 0;
const nextId = () => `msg-${++counter}`;
const at = (ago: number, time = '12:00') => `${day(ago)}T${time}:00.000Z`;

const track = (userId: string, event: string, ago: number, extra: Partial<OracleEvent> = {}): OracleEvent => ({
  type: 'track', messageId: nextId(), timestamp: at(ago), userId, event, ...extra,
});
const page = (userId: string, ago: number, extra: Partial<OracleEvent> = {}): OracleEvent => ({
  type: 'page', messageId: nextId(), timestamp: at(ago), userId, name: 'Home', ...extra,
});
const identify = (userId: string, ago: number, traits: Record<string, unknown> = {}, extra: Partial<OracleEvent> = {}): OracleEvent => ({
  type: 'identify', messageId: nextId(), timestamp: at(ago), userId, traits, ...extra,
});
const group = (userId: string, accountId: string, ago: number, traits: Record<string, unknown> = {}): OracleEvent => ({
  type: 'group', messageId: nextId(), timestamp: at(ago), userId, groupId: accountId, traits,
});
const anonymous = (anonymousId: string, event: OracleEvent): OracleEvent => {
  const { userId: _dropped, ...rest } = event;
  return { ...rest, anonymousId };
};
const inAccount = (accountId: string) => ({ context: { groupId: accountId } });
const npsResponse = (userId: string, score: number, ago: number, extra: Partial<OracleEvent> = {}) =>
  track(userId, '$nps_response', ago, { properties: { score, surveyId: 's1' }, ...extra });
const times = (n: number, make: (i: number) => OracleEvent | OracleEvent[]): OracleEvent[] => Array.from({ length: n }, (_, i) => make(i)).flat();
/** A user who scores `score` in `accountId`: that many feature uses, at most 20 a day (the cap) from today back. */
const scoredMember = (userId: string, accountId: string, score: number, traits: Record<string, unknown> = {}): OracleEvent[] => [
  group(userId, accountId, 60, traits),
  ...times(score, (i) => track(userId, 'Report Created', Math.floor(i / 20), inAccount(accountId))),
];
/** `count` distinct users, each active (one page) in `accountId` on day `ago`. */
const activeUsers = (prefix: string, count: number, accountId: string, ago: number) =>
  times(count, (i) => page(`${prefix}-${i}`, ago, inAccount(accountId)));

// ————————————————————————————————————————————————————————— days and numbers

describe('days and rounding', () => {
  it('uses UTC days, converting offsets', () => {
    expect(dayOf('2026-03-31T23:59:00.000Z')).toBe('2026-03-31');
    // 23:30 at −02:00 is 01:30 UTC the next day.
    expect(dayOf('2026-03-31T23:30:00-02:00')).toBe('2026-04-01');
    expect(dayOf('2026-03-31')).toBe('2026-03-31');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('computes percent_rank with ties and rounds the percentile half up', () => {
    // [1, 3, 3, 9]: for 3, one score is strictly lower, n − 1 = 3 → 1/3.
    expect(percentRank(3, [1, 3, 3, 9])).toBeCloseTo(1 / 3, 12);
    expect(percentRank(9, [1, 3, 3, 9])).toBe(1);
    // A lone score has percent_rank 0.
    expect(percentRank(5, [5])).toBe(0);
    expect(percentileOf(5, [5])).toBe(0);
    // [0..8]: for 1, one lower of 8 → 12.5 → 13.
    expect(percentileOf(1, [0, 1, 2, 3, 4, 5, 6, 7, 8])).toBe(13);
    expect(roundHalfAwayFromZero(-12.5)).toBe(-13);
    expect(roundHalfAwayFromZero(12.5)).toBe(13);
    expect(roundHalfAwayFromZero(-12.4)).toBe(-12);
  });
});

// ————————————————————————————————————————————————————————— scores

describe('user score', () => {
  const exportToday = track('u1', 'Export CSV', 0);
  const events: OracleEvent[] = [
    ...times(25, () => track('u1', 'Report Created', 0)), // 25 today → capped at 20
    ...times(3, () => track('u1', 'Report Created', 1)), // 3
    track('u1', 'Report Created', 29), // first day of the 30-day window: 1
    ...times(4, () => track('u1', 'Report Created', 30)), // outside the window
    exportToday,
    track('u1', 'Export CSV', 0),
    { ...exportToday }, // a retry: same messageId, counts once
    ...times(5, () => track('u1', '$session_start', 0, { properties: { sessionId: 's' } })), // reserved: not a feature
    page('u1', 0), // a page is not a feature
    track('u1', 'Report Created', -1), // after asOf
    track('u2', 'Invite Sent', 2),
  ];

  it('sums capped daily counts over the window with the default model', () => {
    // Report Created 20 + 3 + 1 = 24, Export CSV 2 → 26.
    const score = oracleUserScore(events, 'u1', { asOf: AS_OF });
    expect(score).toEqual({
      userId: 'u1',
      seen: true,
      score: 26,
      percentile: 100, // u2 (1) is lower: 1 / (2 − 1)
      model: { version: 1 },
      window: { from: day(29), to: AS_OF },
      breakdown: [
        { event: 'Export CSV', label: 'Export CSV', count: 2, weight: 1, points: 2 },
        { event: 'Report Created', label: 'Report Created', count: 24, weight: 1, points: 24 },
      ],
    });
    expect(oracleUserScore(events, 'u2', { asOf: AS_OF })).toMatchObject({ score: 1, percentile: 0 });
  });

  it('applies a custom model: weights, labels, window and cap', () => {
    const model = {
      version: 2,
      features: { 'Report Created': { weight: 2, label: 'Reports' }, 'Export CSV': { weight: 0.5, label: 'Exports' } },
      windowDays: 7,
      dailyCap: 10,
    };
    // Report Created: min(25, 10) + 3 = 13 (day 29 is outside 7 days) → 26 points; Export CSV 2 × 0.5 = 1. Invite Sent is not in the model.
    const score = oracleUserScore(events, 'u1', { asOf: AS_OF, model });
    expect(score.score).toBe(27);
    expect(score.window).toEqual({ from: day(6), to: AS_OF });
    expect(score.breakdown).toEqual([
      { event: 'Export CSV', label: 'Exports', count: 2, weight: 0.5, points: 1 },
      { event: 'Report Created', label: 'Reports', count: 13, weight: 2, points: 26 },
    ]);
    expect(oracleUserScore(events, 'u2', { asOf: AS_OF, model }).score).toBe(0);
  });

  it('counts only events up to asOf, in the window ending at asOf', () => {
    // As of day 1: window day 30 … day 1 → Report Created 3 (day 1) + 1 (day 29) + 4 (day 30) = 8; today's events are later.
    expect(oracleUserScore(events, 'u1', { asOf: day(1) }).score).toBe(8);
  });

  it('answers an unseen user with score 0 and no percentile', () => {
    expect(oracleUserScore(events, 'nobody', { asOf: AS_OF })).toMatchObject({ seen: false, score: 0, percentile: null, breakdown: [] });
  });
});

describe('identity', () => {
  const events: OracleEvent[] = [
    ...times(2, () => anonymous('a1', track('x', 'Report Created', 3))),
    anonymous('a1', page('x', 3)),
    anonymous('a2', track('x', 'Report Created', 3)), // never linked: belongs to no user
    // Two links for a1: the first in arrival order wins (u3), although u2's is earlier in time.
    identify('u3', 0, {}, { anonymousId: 'a1' }),
    identify('u2', 1, {}, { anonymousId: 'a1' }),
    track('u2', 'Export CSV', 1),
  ];

  it('merges an anonymous history into the first linked user', () => {
    expect(oracleUserScore(events, 'u3', { asOf: AS_OF }).score).toBe(2);
    expect(oracleUserScore(events, 'u2', { asOf: AS_OF }).score).toBe(1);
    // DAU on day 3: a1 counts as u3; a2 is nobody.
    expect(oracleActiveSeries(events, { from: day(3), to: day(3), asOf: AS_OF }).days[0]).toMatchObject({ dau: 1 });
    expect(oracleRanking(events, 'users', { asOf: AS_OF })).toEqual([
      { id: 'u3', score: 2, percentile: 100 },
      { id: 'u2', score: 1, percentile: 0 },
    ]);
    // First seen is the first anonymous event.
    expect(oracleUserFacts(events, { asOf: AS_OF }).find((user) => user.userId === 'u3')?.firstSeen).toBe(day(3));
  });

  it('uses only the links that exist as of the day', () => {
    // As of day 1 u3's identify (day 0) does not exist yet, so u2's link is the first: 2 + 1 = 3.
    expect(oracleUserScore(events, 'u2', { asOf: day(1) }).score).toBe(3);
    // As of day 2 nobody is linked: no user at all.
    expect(oracleRanking(events, 'users', { asOf: day(2) })).toEqual([]);
    expect(oracleActiveSeries(events, { from: day(3), to: day(3), asOf: day(2) }).days[0]).toMatchObject({ dau: 0 });
  });
});

describe('account resolution and account score', () => {
  const events: OracleEvent[] = [
    group('u1', 'A', 10),
    group('u1', 'B', 5),
    track('u1', 'X', 2, inAccount('A')), // A
    track('u1', 'X', 2, { properties: { accountId: 'B' } }), // B
    track('u1', 'X', 2, { ...inAccount('A'), properties: { accountId: 'B' } }), // context wins: A
    track('u1', 'X', 2), // names none: every account u1 joined — A, B, and G (joined later)
    group('u1', 'G', 1),
    track('u2', 'X', 2, { properties: { accountId: 'C' } }), // u2 never called group: C
    track('u2', 'X', 2, { properties: { accountId: 42 } }), // a numeric id: '42'
    group('u3', 'A', 1), // member of A without activity
    anonymous('a9', page('x', 2, inAccount('E'))), // E is seen, with no user
    identify('u4', 1, {}, inAccount('F')), // an identify naming F: u4 is F's member
  ];

  it('resolves each event to its named account, else to the accounts its user joined', () => {
    const snapshot = oracleSnapshot(events, AS_OF);
    const members = Object.fromEntries([...snapshot.members].map(([account, users]) => [account, [...users].sort()]));
    expect(members).toEqual({ A: ['u1', 'u3'], B: ['u1'], G: ['u1'], C: ['u2'], '42': ['u2'], F: ['u4'] });
    expect([...snapshot.accountFirstSeen.keys()].sort()).toEqual(['42', 'A', 'B', 'C', 'E', 'F', 'G']);
  });

  it('scores each account from its events and ranks all seen accounts', () => {
    // A: context, context+property, unnamed = 3. B: property, unnamed = 2. G: unnamed = 1. C = 1. '42' = 1. E, F = 0.
    expect(oracleRanking(events, 'accounts', { asOf: AS_OF })).toEqual([
      { id: 'A', score: 3, percentile: 100 }, // 6 lower of n − 1 = 6
      { id: 'B', score: 2, percentile: 83 }, // 5/6 = 83.3
      { id: '42', score: 1, percentile: 33 }, // 2/6 = 33.3
      { id: 'C', score: 1, percentile: 33 },
      { id: 'G', score: 1, percentile: 33 },
      { id: 'E', score: 0, percentile: 0 },
      { id: 'F', score: 0, percentile: 0 },
    ]);
    expect(oracleAccountScore(events, 'A', { asOf: AS_OF })).toEqual({
      accountId: 'A',
      seen: true,
      score: 3,
      percentile: 100,
      model: { version: 1 },
      window: { from: day(29), to: AS_OF },
      breakdown: [{ event: 'X', label: 'X', count: 3, weight: 1, points: 3 }],
      activeUsers: 1, // u3 never did anything
      perActiveUser: 3,
      users: [{ userId: 'u1', score: 3 }],
    });
    expect(oracleAccountScore(events, 'nowhere', { asOf: AS_OF })).toMatchObject({ seen: false, score: 0, percentile: null, activeUsers: 0, perActiveUser: 0 });
  });

  it('caps per user, feature and day, then sums over users', () => {
    const capped = [
      ...times(25, () => track('u1', 'Y', 0, inAccount('D'))), // 20
      ...times(15, () => track('u5', 'Y', 0, inAccount('D'))), // 15
      page('u6', 0, inAccount('D')), // active, no score
    ];
    const score = oracleAccountScore(capped, 'D', { asOf: AS_OF });
    expect(score.score).toBe(35);
    expect(score.breakdown).toEqual([{ event: 'Y', label: 'Y', count: 35, weight: 1, points: 35 }]);
    expect(score.activeUsers).toBe(3);
    expect(score.perActiveUser).toBeCloseTo(35 / 3, 12);
    expect(score.users).toEqual([{ userId: 'u1', score: 20 }, { userId: 'u5', score: 15 }]);
  });
});

describe('percentile', () => {
  it('ranks with ties among every seen user, score-0 users included', () => {
    const events = [
      identify('p1', 3), // seen, score 0
      ...times(5, () => track('p2', 'X', 0)),
      ...times(5, () => track('p3', 'X', 0)),
      ...times(7, () => track('p5', 'X', 0)),
      ...times(10, () => track('p4', 'X', 0)),
    ];
    // Scores 0, 5, 5, 7, 10 (n − 1 = 4): 0 → 0; 5 → 1/4; 7 → 3/4; 10 → 4/4.
    expect(oracleRanking(events, 'users', { asOf: AS_OF })).toEqual([
      { id: 'p4', score: 10, percentile: 100 },
      { id: 'p5', score: 7, percentile: 75 },
      { id: 'p2', score: 5, percentile: 25 },
      { id: 'p3', score: 5, percentile: 25 },
      { id: 'p1', score: 0, percentile: 0 },
    ]);
    expect(oracleUserScore(events, 'p3', { asOf: AS_OF }).percentile).toBe(25);
    expect(oracleUserScore(events, 'p1', { asOf: AS_OF }).percentile).toBe(0);
  });
});

// ————————————————————————————————————————————————————————— DAU / WAU / MAU

describe('active series', () => {
  const events: OracleEvent[] = [
    page('u1', 0, inAccount('A')),
    track('u1', 'X', 3),
    track('u2', 'X', 6),
    page('u2', 7),
    page('u3', 29),
    page('u4', 30),
    npsResponse('u5', 9, 0), // NPS is not activity
    track('u5', '$nps_shown', 0),
    track('u6', '$session_start', 0, { ...inAccount('A'), properties: { sessionId: 's' } }), // sessions are
  ];

  it('counts distinct active users per day, 7 and 30 days', () => {
    expect(oracleActiveSeries(events, { from: day(1), to: AS_OF }).days).toEqual([
      // day 1: nobody; week day 7…1: u1, u2; month day 30…1: u1, u2, u3, u4.
      { date: day(1), dau: 0, wau: 2, mau: 4, stickiness: 0 },
      // day 0: u1, u6; week day 6…0: u1, u2, u6; month day 29…0: u1, u2, u3, u6.
      { date: AS_OF, dau: 2, wau: 3, mau: 4, stickiness: 0.5 },
    ]);
  });

  it('counts an account from its events only', () => {
    expect(oracleActiveSeries(events, { from: AS_OF, to: AS_OF, accountId: 'A' }).days).toEqual([{ date: AS_OF, dau: 2, wau: 2, mau: 2, stickiness: 1 }]);
    expect(oracleActiveSeries(events, { from: AS_OF, to: AS_OF, accountId: 'Z' }).days).toEqual([{ date: AS_OF, dau: 0, wau: 0, mau: 0, stickiness: 0 }]);
  });
});

// ————————————————————————————————————————————————————————— utilisation

describe('utilisation', () => {
  const events: OracleEvent[] = [
    group('u0', 'A', 20, { seats: 2 }), // sent first, but later in time: seats 2 from day 20 on
    group('u0', 'A', 70, { seats: 4, name: 'Acme' }),
    page('u1', 0, inAccount('A')),
    page('u2', 29, inAccount('A')), // first day of the current 30 days
    page('u3', 30, inAccount('A')), // last day of the 30 days before
    page('u4', 59, inAccount('A')),
    page('u7', 45, inAccount('A')),
    page('u5', 60, inAccount('A')), // too old for either
    npsResponse('u6', 9, 1, inAccount('A')), // not activity
    group('b0', 'B', 40, { name: 'No seats' }),
    page('b0', 3, inAccount('B')),
    group('c0', 'C', 40, { seats: '5' }), // seats as text
    page('c0', 3, inAccount('C')),
    group('d0', 'D', 40, { seats: 0 }),
    page('d0', 3, inAccount('D')),
  ];

  it('divides the 30-day active users by seats, now and as of 30 days before', () => {
    // Now: u1, u2 active, seats 2 → 1. As of day 30: u3, u4, u7 active in day 59…30, seats then 4 → 0.75. 1 / 0.75 − 1 = 1/3.
    const utilisation = oracleUtilisation(events, 'A', { asOf: AS_OF });
    expect(utilisation).toMatchObject({ accountId: 'A', seats: 2, activeUsers30d: 2, utilisation: 1, utilisation30dAgo: 0.75 });
    expect(utilisation.change).toBeCloseTo(1 / 3, 12);
  });

  it('is null without seats, with 0 seats; change is null when the older one is 0', () => {
    expect(oracleUtilisation(events, 'B', { asOf: AS_OF })).toEqual({ accountId: 'B', seats: null, activeUsers30d: 1, utilisation: null, utilisation30dAgo: null, change: null });
    expect(oracleUtilisation(events, 'C', { asOf: AS_OF })).toEqual({ accountId: 'C', seats: 5, activeUsers30d: 1, utilisation: 0.2, utilisation30dAgo: 0, change: null });
    expect(oracleUtilisation(events, 'D', { asOf: AS_OF })).toEqual({ accountId: 'D', seats: 0, activeUsers30d: 1, utilisation: null, utilisation30dAgo: null, change: null });
  });
});

// ————————————————————————————————————————————————————————— NPS

describe('NPS', () => {
  const events: OracleEvent[] = [
    npsResponse('u1', 3, 50, inAccount('A')),
    npsResponse('u1', 10, 5, inAccount('A')), // u1's latest: promoter
    npsResponse('u1', 0, -1, inAccount('A')), // after asOf
    npsResponse('u2', 8, 10, inAccount('A')), // passive
    npsResponse('u3', 6, 2, inAccount('B')), // detractor
    npsResponse('u3', 9, 100, inAccount('B')), // outside 90 days
    npsResponse('u4', 9, 89, inAccount('B')), // first day of the 90 days: promoter
    npsResponse('u5', 0, 90, inAccount('B')), // one day too old
    anonymous('a1', npsResponse('x', 0, 3)), // nobody's
    track('u6', '$nps_shown', 4),
    track('u6', '$nps_dismissed', 4),
  ];

  it('takes the latest response per user in the 90 days ending at asOf', () => {
    // u1 P, u2 Pa, u3 D, u4 P → round(100 × (2 − 1) / 4) = 25.
    expect(oracleNps(events, { asOf: AS_OF })).toEqual({ nps: 25, responses: 4, promoters: 2, passives: 1, detractors: 1 });
  });

  it('takes an explicit range and an account', () => {
    // Days 60…6: u1's latest there is 3 (day 50), u2 8 → round(100 × (0 − 1) / 2) = −50.
    expect(oracleNps(events, { asOf: AS_OF, from: day(60), to: day(6) })).toEqual({ nps: -50, responses: 2, promoters: 0, passives: 1, detractors: 1 });
    // A: u1 P, u2 Pa → 50. B: u3 D, u4 P → 0.
    expect(oracleNps(events, { asOf: AS_OF, accountId: 'A' })).toEqual({ nps: 50, responses: 2, promoters: 1, passives: 1, detractors: 0 });
    expect(oracleNps(events, { asOf: AS_OF, accountId: 'B' })).toEqual({ nps: 0, responses: 2, promoters: 1, passives: 0, detractors: 1 });
    expect(oracleNps(events, { asOf: AS_OF, from: day(30), to: day(20) })).toEqual({ nps: null, responses: 0, promoters: 0, passives: 0, detractors: 0 });
  });

  it('rounds halves away from zero', () => {
    // 1 promoter, 5 passives, 2 detractors: 100 × (1 − 2) / 8 = −12.5 → −13; mirrored → 13.
    const scores = [9, 7, 7, 7, 7, 7, 0, 0];
    const negative = scores.map((score, i) => npsResponse(`n${i}`, score, 1));
    const positive = scores.map((score, i) => npsResponse(`n${i}`, score === 9 ? 0 : score === 0 ? 10 : score, 1));
    expect(oracleNps(negative, { asOf: AS_OF }).nps).toBe(-13);
    expect(oracleNps(positive, { asOf: AS_OF }).nps).toBe(13);
  });

  it('puts users in the NPS segments by their latest response', () => {
    expect(oracleSegmentMembers(events, 'nps-promoters', { asOf: AS_OF })).toEqual(['u1', 'u4']);
    expect(oracleSegmentMembers(events, 'nps-passives', { asOf: AS_OF })).toEqual(['u2']);
    expect(oracleSegmentMembers(events, 'nps-detractors', { asOf: AS_OF })).toEqual(['u3']);
    // u1 answered only NPS (no activity), first seen on day 50: promoters only.
    expect(oracleSegmentsOf(events, 'users', 'u1', { asOf: AS_OF })).toEqual(['nps-promoters']);
  });
});

// ————————————————————————————————————————————————————————— segments at their boundaries

describe('account segments', () => {
  const members = (events: OracleEvent[], key: Parameters<typeof oracleSegmentMembers>[1]) => oracleSegmentMembers(events, key, { asOf: AS_OF });

  it('post-onboarding: onboardedAt today or earlier, or first seen 30 days ago', () => {
    const events = [
      group('a', 'A', 10, { onboardedAt: day(0) }), // today → in
      group('b', 'B', 29, { onboardedAt: day(-1) }), // tomorrow, first seen 29 days ago → out
      group('c', 'C', 30), // first seen exactly 30 days ago → in
      group('d', 'D', 29), // 29 days → out
      group('e', 'E', 5, { onboardedAt: `${AS_OF}T23:30:00-02:00` }), // 01:30 UTC tomorrow → out
    ];
    expect(members(events, 'post-onboarding')).toEqual(['A', 'C']);
  });

  it('low-utilization: below 0.6, not null', () => {
    const events = [
      group('a', 'A', 40, { seats: 5 }), ...activeUsers('a', 3, 'A', 1), // 0.6 → out
      group('b', 'B', 40, { seats: 5 }), ...activeUsers('b', 2, 'B', 1), // 0.4 → in
      group('c', 'C', 40), ...activeUsers('c', 1, 'C', 1), // no seats → out
      group('d', 'D', 40, { seats: 5 }), // nobody active: 0 → in
    ];
    expect(members(events, 'low-utilization')).toEqual(['B', 'D']);
  });

  it('rising-utilization: change above 0.10 (exactly 0.10 is out)', () => {
    const events = [
      // A: 11/20 now, 10/20 before → 0.1 exactly (in floats 0.55 / 0.5 − 1 = 0.10000000000000009) → out.
      group('a', 'A', 60, { seats: 20 }), ...activeUsers('a-now', 11, 'A', 1), ...activeUsers('a-then', 10, 'A', 40),
      // B: 12/20 now, 10/20 before → 0.2 → in.
      group('b', 'B', 60, { seats: 20 }), ...activeUsers('b-now', 12, 'B', 1), ...activeUsers('b-then', 10, 'B', 40),
      // C: 5/20 now, nobody before → change null → out.
      group('c', 'C', 60, { seats: 20 }), ...activeUsers('c-now', 5, 'C', 1),
    ];
    expect(members(events, 'rising-utilization')).toEqual(['B']);
    expect(oracleAccountFacts(events, { asOf: AS_OF }).map((account) => account.change)).toEqual([expect.closeTo(0.1, 12), expect.closeTo(0.2, 12), null]);
  });

  it('usage-drop: user-days of the last 30 days ≤ 70 % of the 30 before', () => {
    const events = [
      // A: 10 user-days in day 59…30, 7 in day 29…0 (two events on day 0 are one user-day) → 7 ≤ 7 → in.
      ...times(10, (i) => page('a1', 30 + i, inAccount('A'))),
      ...times(7, (i) => page('a1', i, inAccount('A'))),
      page('a1', 0, inAccount('A')),
      // B: 10 before, 8 now → out.
      ...times(10, (i) => page('b1', 30 + i, inAccount('B'))),
      ...times(8, (i) => page('b1', i, inAccount('B'))),
      // C: no activity before → out.
      group('c1', 'C', 50),
    ];
    expect(members(events, 'usage-drop')).toEqual(['A']);
    expect(oracleAccountFacts(events, { asOf: AS_OF }).map((a) => [a.accountId, a.activeUserDays, a.activeUserDaysBefore])).toEqual([
      ['A', 7, 10],
      ['B', 8, 10],
      ['C', 0, 0],
    ]);
  });

  it('weekly-active: activity in each of the 4 seven-day blocks ending at asOf', () => {
    const events = [
      ...[0, 7, 14, 21].map((ago) => page('a1', ago, inAccount('A'))), // in
      ...[6, 13, 20, 27].map((ago) => page('b1', ago, inAccount('B'))), // each block's oldest day → in
      ...[0, 7, 14, 28].map((ago) => page('c1', ago, inAccount('C'))), // day 28 is in the 5th block → out
      ...[0, 7, 14].map((ago) => page('d1', ago, inAccount('D'))),
      npsResponse('d1', 9, 21, inAccount('D')), // NPS is not activity → out
    ];
    expect(members(events, 'weekly-active')).toEqual(['A', 'B']);
  });

  it('top: the top 10 % by score, ties at the cut included, score > 0', () => {
    // 10 accounts, scores 5, 5, 3, 2, 1, 0 × 5: k = ceil(1) = 1, cut = 5 → both 5s.
    const scores = [5, 5, 3, 2, 1, 0, 0, 0, 0, 0];
    const ten = scores.flatMap((score, i) => scoredMember(`t${i}`, `T${i}`, score));
    expect(members(ten, 'top')).toEqual(['T0', 'T1']);
    // 30 accounts, scores 1…30: k = ceil(0.1 × 30) = 3 (not 4, though 0.1 × 30 is 3.0000000000000004 in floats).
    const thirty = times(30, (i) => scoredMember(`s${i}`, `S${String(i + 1).padStart(2, '0')}`, i + 1));
    expect(members(thirty, 'top')).toEqual(['S28', 'S29', 'S30']);
    // Nobody scores: nobody is top.
    expect(members([group('z', 'Z1', 5), group('z', 'Z2', 5)], 'top')).toEqual([]);
  });

  it('low-engagement-after-onboarding: onboarded 30…60 days ago, inclusive', () => {
    // All score 0 (percentile 0).
    const events = [
      group('a', 'A', 70, { onboardedAt: day(60) }), // in
      group('b', 'B', 70, { onboardedAt: `${day(30)}T22:00:00.000Z` }), // in
      group('c', 'C', 70, { onboardedAt: day(61) }), // out
      group('d', 'D', 70, { onboardedAt: day(29) }), // out
      group('e', 'E', 70), // no onboardedAt → out
    ];
    expect(members(events, 'low-engagement-after-onboarding')).toEqual(['A', 'B']);
  });

  it('low-engagement-after-onboarding: percentile ≤ 25', () => {
    // Scores 0…4 → percentiles 0, 25, 50, 75, 100.
    const events = [0, 1, 2, 3, 4].flatMap((score) => scoredMember(`p${score}`, `P${score}`, score, { onboardedAt: day(40) }));
    expect(oracleAccountFacts(events, { asOf: AS_OF }).map((account) => account.percentile)).toEqual([0, 25, 50, 75, 100]);
    expect(members(events, 'low-engagement-after-onboarding')).toEqual(['P0', 'P1']);
  });

  it('champion-disengaged: a champion with no activity in the account for 14 days', () => {
    const champion = { isChampion: true };
    const events = [
      identify('u1', 50, champion), group('u1', 'A', 50), page('u1', 14, inAccount('A')), // last active 14 days ago → in
      identify('u2', 50, champion), group('u2', 'B', 50), page('u2', 13, inAccount('B')), // 13 → out
      identify('u3', 50), group('u3', 'C', 50), page('u3', 20, inAccount('C')), // not a champion → out
      identify('u4', 30, { isChampion: false }), // sent first, but later: no longer a champion → out
      identify('u4', 50, champion), group('u4', 'D', 50), page('u4', 20, inAccount('D')),
      identify('u5', 50, champion), group('u5', 'E', 50), page('u5', 20, inAccount('E')), npsResponse('u5', 9, 2, inAccount('E')), // NPS is not activity → in
      identify('u6', 50, champion), group('u6', 'F', 50), // never active → in
      identify('u7', 50, champion), group('u7', 'G', 50), group('u7', 'H', 50), page('u7', 0, inAccount('H')), // active in H only → G in, H out
    ];
    expect(members(events, 'champion-disengaged')).toEqual(['A', 'E', 'F', 'G']);
  });

  it('trial-ready: trial accounts whose score has percent_rank ≥ 0.75 among trial accounts', () => {
    // Trial scores 0…4 → percent_rank 0, 0.25, 0.5, 0.75, 1. The non-trial account does not count.
    const events = [
      ...[0, 1, 2, 3, 4].flatMap((score) => scoredMember(`t${score}`, `T${score}`, score, { trial: true })),
      ...scoredMember('n', 'N', 100, { trial: false }),
    ];
    expect(members(events, 'trial-ready')).toEqual(['T3', 'T4']);
    // A lone trial account has percent_rank 0.
    expect(members(scoredMember('l', 'L', 50, { trial: true }), 'trial-ready')).toEqual([]);
  });

  it('expansion-ready: utilisation ≥ 0.9', () => {
    const events = [
      group('a', 'A', 40, { seats: 10 }), ...activeUsers('a', 9, 'A', 1), // 0.9 → in
      group('b', 'B', 40, { seats: 10 }), ...activeUsers('b', 8, 'B', 1), // 0.8 → out
      group('c', 'C', 40, { seats: 2 }), ...activeUsers('c', 3, 'C', 1), // 1.5 → in
      group('d', 'D', 40), ...activeUsers('d', 3, 'D', 1), // no seats → out
    ];
    expect(members(events, 'expansion-ready')).toEqual(['A', 'C']);
    // C, first seen 40 days ago, active on day 1 only, nobody scores: expansion-ready and post-onboarding only.
    expect(oracleSegmentsOf(events, 'accounts', 'C', { asOf: AS_OF })).toEqual(['expansion-ready', 'post-onboarding']);
  });
});

describe('user segments', () => {
  const members = (events: OracleEvent[], key: Parameters<typeof oracleSegmentMembers>[1]) => oracleSegmentMembers(events, key, { asOf: AS_OF });

  it('new-users: first seen in the last 7 days, anonymous history included', () => {
    const events = [
      page('u1', 6), // in
      page('u2', 7), // out
      anonymous('a3', page('x', 10)), identify('u3', 2, {}, { anonymousId: 'a3' }), // first seen 10 days ago → out
      identify('u4', 0), // in
    ];
    expect(members(events, 'new-users')).toEqual(['u1', 'u4']);
  });

  it('dormant: active in day 43…14, not in the last 14 days', () => {
    const events = [
      page('u1', 14), // in
      page('u2', 43), // in
      page('u3', 44), // out
      page('u4', 14), page('u4', 13), // out
      page('u5', 20), npsResponse('u5', 3, 2), // NPS is not activity → in
    ];
    expect(members(events, 'dormant')).toEqual(['u1', 'u2', 'u5']);
  });

  it('feature-unused: active in the last 30 days, never used the feature up to asOf', () => {
    const events = [
      page('u1', 29), // in
      page('u2', 30), // not active in the window → out
      page('u3', 0), track('u3', 'Export CSV', 60), // used it long ago → out
      page('u4', 0), track('u4', 'Export CSV', -1), // uses it only after asOf → in
    ];
    expect(members(events, 'feature-unused:Export CSV')).toEqual(['u1', 'u4']);
    expect(members(events, 'feature-unused:Report Created')).toEqual(['u1', 'u3', 'u4']);
    const model = { version: 2, features: { 'Export CSV': { weight: 1, label: 'Exports' }, 'Report Created': { weight: 1, label: 'Reports' } } };
    expect(oracleSegmentsOf(events, 'users', 'u3', { asOf: AS_OF, model })).toEqual(['feature-unused:Report Created']);
    // Only the features the score model names: none under the default v1 model.
    expect(oracleSegmentsOf(events, 'users', 'u3', { asOf: AS_OF })).toEqual([]);
    const featureKeys = (keys: string[]) => keys.filter((key) => key.startsWith('feature-unused:'));
    expect(featureKeys(oracleSegmentsOf(events, 'users', 'u1', { asOf: AS_OF, model }))).toEqual(['feature-unused:Export CSV', 'feature-unused:Report Created']);
    expect(featureKeys(oracleSegmentsOf(events, 'users', 'u1', { asOf: AS_OF }))).toEqual([]);
    expect(featureKeys(oracleSegmentsOf(events, 'users', 'u1', { asOf: AS_OF, model: { version: 3, features: { 'Export CSV': { weight: 1, label: 'Exports' } } } }))).toEqual(['feature-unused:Export CSV']);
  });
});

// ————————————————————————————————————————————————————————— the generator

describe('generateDataset', () => {
  const options = { seed: 20_260_331, asOf: AS_OF };
  const data = generateDataset(options);

  it('is deterministic', () => {
    expect(generateDataset(options)).toEqual(data);
    expect(generateDataset({ ...options, seed: options.seed + 1 }).events).not.toEqual(data.events);
    expect(Array.from({ length: 3 }, createRandom(5).next)).toEqual(Array.from({ length: 3 }, createRandom(5).next));
  });

  it('produces valid protocol v1 events at whole minutes within the days asked for', () => {
    expect(data.from).toBe(day(89));
    for (const event of data.events) {
      expect(validateEvent(event).ok, JSON.stringify(event)).toBe(true);
      expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
      expect(dayOf(event.timestamp) >= data.from && dayOf(event.timestamp) <= AS_OF).toBe(true);
    }
    // messageIds are unique, except the retries, which are exact copies.
    const byId = new Map<string, OracleEvent[]>();
    for (const event of data.events) byId.set(event.messageId, [...(byId.get(event.messageId) ?? []), event]);
    const repeated = [...byId].filter(([, copies]) => copies.length > 1);
    expect(repeated.map(([id]) => id).sort()).toEqual([...data.scenario.duplicatedMessageIds].sort());
    for (const [, copies] of repeated) expect(copies[1]).toEqual(copies[0]);
    expect(repeated.length).toBeGreaterThan(0);
  });

  it('arrives partly out of time order', () => {
    let outOfOrder = 0;
    for (let i = 1; i < data.events.length; i++) if (data.events[i]!.timestamp < data.events[i - 1]!.timestamp) outOfOrder++;
    expect(outOfOrder).toBeGreaterThan(data.events.length / 20);
  });

  it('covers every scenario the query tests rely on', () => {
    const { scenario } = data;
    const profile = (kind: keyof typeof scenario.accountsByProfile) => scenario.accountsByProfile[kind]![0]!;
    const members = (key: Parameters<typeof oracleSegmentMembers>[1]) => oracleSegmentMembers(data.events, key, { asOf: AS_OF });
    expect(members('champion-disengaged')).toContain(scenario.quietChampion!.accountId);
    expect(members('dormant')).toEqual(expect.arrayContaining(scenario.dormantUsers));
    expect(members('new-users')).toEqual(scenario.newUsers);
    expect(scenario.newUsers.length).toBeGreaterThan(0);
    expect(members('rising-utilization')).toContain(profile('rising'));
    expect(members('usage-drop')).toEqual(expect.arrayContaining([profile('dropping'), profile('churned')]));
    expect(members('top')).toContain(profile('power'));
    expect(members('trial-ready')).toEqual([profile('trial-strong')]);
    expect(members('low-utilization')).toContain(profile('trial-weak'));
    expect(members('expansion-ready')).toContain(profile('expansion'));
    expect(members('low-engagement-after-onboarding')).toEqual(expect.arrayContaining([profile('trial-weak'), profile('onboarded-mid-low')]));
    expect(members('post-onboarding')).not.toContain(profile('trial-strong'));
    expect(members('weekly-active')).not.toContain(profile('churned'));
    for (const key of ['nps-promoters', 'nps-passives', 'nps-detractors', 'feature-unused:Export CSV'] as const) expect(members(key).length).toBeGreaterThan(0);
    expect(oracleUtilisation(data.events, profile('unknown-seats'), { asOf: AS_OF }).utilisation).toBeNull();

    // Anonymous history is merged: first seen before the identify.
    const facts = oracleUserFacts(data.events, { asOf: AS_OF });
    const merged = scenario.anonymousThenIdentified.filter(({ userId }) => {
      const plan = data.users.find((user) => user.userId === userId)!;
      return facts.find((user) => user.userId === userId)!.firstSeen === day(plan.firstSeenAgo) && plan.firstSeenAgo > plan.joinAgo;
    });
    expect(merged.length).toBeGreaterThan(0);
    // The two-account user belongs to both; the promoted champion is one.
    expect(facts.find((user) => user.userId === scenario.twoAccountUser!.userId)!.accounts).toEqual(scenario.twoAccountUser!.accounts);
    expect(facts.find((user) => user.userId === scenario.promotedChampion)!.traits['isChampion']).toBe(true);
    // Unlinked visitors are nobody.
    expect(facts.some((user) => user.userId.startsWith('anon-'))).toBe(false);
    expect(scenario.answeredNpsTwice.length).toBeGreaterThan(0);

    // Some user-feature-day goes over the daily cap of 20.
    const perDay = new Map<string, number>();
    for (const event of new Map(data.events.map((e) => [e.messageId, e])).values()) {
      if (event.type !== 'track' || event.event?.startsWith('$')) continue;
      const key = `${event.userId}|${event.event}|${dayOf(event.timestamp)}`;
      perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
    expect(Math.max(...perDay.values())).toBeGreaterThan(20);
    // Every way of naming an account is used.
    expect(data.events.some((e) => e.type === 'track' && e.context?.groupId)).toBe(true);
    expect(data.events.some((e) => e.type === 'track' && e.properties?.['accountId'])).toBe(true);
    expect(data.events.some((e) => e.type === 'track' && !e.event!.startsWith('$') && e.userId && !e.context?.groupId && !e.properties?.['accountId'])).toBe(true);
  });

  it('makes two projects with overlapping ids and distinct messageIds', () => {
    const pair = generateProjectPair({ seed: 3, asOf: AS_OF, days: 40 });
    expect(pair.interleaved.filter((entry) => entry.project === 'first').map((entry) => entry.event)).toEqual(pair.first.events);
    expect(pair.interleaved.filter((entry) => entry.project === 'second').map((entry) => entry.event)).toEqual(pair.second.events);
    expect(pair.first.accounts[0]!.accountId).toBe(pair.second.accounts[0]!.accountId);
    const firstIds = new Set(pair.first.events.map((event) => event.messageId));
    expect(pair.second.events.some((event) => firstIds.has(event.messageId))).toBe(false);
  });
});
