/**
 * The whole-history fold (src/domain/segments/fold-history.ts) without a database: both forms of
 * rows the reader returns (event spans with memberships; every day's rows) give the history a
 * naive scan of the events gives, in any row order; a kept history with the rows of later events
 * folded in gives the history of all of them, the kept one unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyOf, joinedByUser, withSpans, type History, type HistoryRows } from '../../../src/domain/segments/fold-history.ts';
import { ACCOUNTS, dayEvents, dayRowsOf, memberships, naiveMember, naiveUsers, seed, shuffled, spanRowsOf, type DayEvent, type Membership } from '../../support/fact-rows.ts';

/** The history as plain sorted data, to compare. */
function plain(history: History) {
  return {
    users: [...history.users]
      .map(([userId, user]) => ({ userId, firstSeen: user.firstSeen, lastActive: user.lastActive, accounts: [...user.accounts].sort(), featuresUsed: [...user.featuresUsed].sort() }))
      .sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    members: Object.fromEntries(
      [...history.members].map(([accountId, members]) => [accountId, Object.fromEntries([...members].sort(([a], [b]) => (a < b ? -1 : 1)))]),
    ),
  };
}

/** What a naive scan of every event says the history is. */
function naive(events: readonly DayEvent[], joined: readonly Membership[]) {
  const users = naiveUsers(events);
  const members: Record<string, Record<string, { firstDay: string; lastActive: string | null }>> = {};
  for (const accountId of ACCOUNTS) {
    for (const { userId } of users) {
      const member = naiveMember(events, joined, accountId, userId);
      if (member) (members[accountId] ??= {})[userId] = member;
    }
  }
  return { users, members };
}

function shuffledRows(rows: HistoryRows, order: number): HistoryRows {
  return rows.from === 'spans'
    ? { from: 'spans', spans: shuffled(rows.spans, order), memberships: shuffled(rows.memberships, order + 1) }
    : { from: 'days', events: shuffled(rows.events, order), members: shuffled(rows.members, order + 1) };
}

const e = (userId: string, accountKey: string, day: string, event: string): DayEvent => ({ userId, accountKey, day, event });

describe('whole-history fold', () => {
  const events = [
    e('u1', 'acme', '2026-01-15', 'Report Created'),
    e('u1', 'acme', '2026-03-30', '$page'),
    e('u2', '', '2026-02-01', 'Export CSV'),
    e('u2', '', '2026-03-01', '$nps_response'),
    e('u2', 'beta', '2026-03-20', '$group'),
  ];
  const joined = [{ accountId: 'acme', userId: 'u2' }];
  const expected = {
    users: [
      { userId: 'u1', firstSeen: '2026-01-15', lastActive: '2026-03-30', accounts: ['acme'], featuresUsed: ['Report Created'] },
      // An NPS answer is a track event (a feature used) but no activity.
      { userId: 'u2', firstSeen: '2026-02-01', lastActive: '2026-02-01', accounts: ['beta'], featuresUsed: ['$nps_response', 'Export CSV'] },
    ],
    members: {
      acme: { u1: { firstDay: '2026-01-15', lastActive: '2026-03-30' }, u2: { firstDay: '2026-02-01', lastActive: '2026-02-01' } },
      // Joined acme only: its unnamed events are not beta's; a $group call makes a member with no activity.
      beta: { u2: { firstDay: '2026-03-20', lastActive: null } },
    },
  };

  it.each([
    { form: 'spans', rows: spanRowsOf(events, joined) },
    { form: 'days', rows: dayRowsOf(events, joined) },
  ])('folds a small history from $form', ({ rows }) => {
    expect(plain(historyOf(rows))).toEqual(expected);
  });

  it('folds the span rows as written (one row per user and account key)', () => {
    const rows: HistoryRows = {
      from: 'spans',
      spans: [
        { userId: 'u3', accountKey: '', firstDay: '2026-03-02', lastActive: null, features: null },
        { userId: 'u3', accountKey: 'zeta', firstDay: '2026-03-05', lastActive: '2026-03-07', features: ['Export CSV'] },
      ],
      memberships: [
        { accountId: 'zeta', userId: 'u3' },
        { accountId: 'acme', userId: 'u4' },
      ],
    };
    expect(plain(historyOf(rows))).toEqual({
      users: [{ userId: 'u3', firstSeen: '2026-03-02', lastActive: '2026-03-07', accounts: ['zeta'], featuresUsed: ['Export CSV'] }],
      members: { zeta: { u3: { firstDay: '2026-03-02', lastActive: '2026-03-07' } } },
    });
  });

  it('folds nothing into an empty history', () => {
    expect(plain(historyOf({ from: 'spans', spans: [], memberships: [{ accountId: 'acme', userId: 'u1' }] }))).toEqual({ users: [], members: {} });
    expect(plain(historyOf({ from: 'days', events: [], members: [] }))).toEqual({ users: [], members: {} });
  });

  it('gives from either form, in any row order, the history a naive scan of the events gives', () => {
    fc.assert(
      fc.property(dayEvents(120), memberships, seed, (events, joined, order) => {
        const expected = naive(events, joined);
        expect(plain(historyOf(shuffledRows(spanRowsOf(events, joined), order)))).toEqual(expected);
        expect(plain(historyOf(shuffledRows(dayRowsOf(events, joined), order)))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('brings a kept history up to date from the rows of later events, leaving the kept one as it was', () => {
    fc.assert(
      fc.property(dayEvents(120), dayEvents(30), memberships, (older, newer, joined) => {
        const kept = historyOf(spanRowsOf(older, joined));
        const keptBefore = structuredClone(kept);
        const { spans } = spanRowsOf(newer, joined) as Extract<HistoryRows, { from: 'spans' }>;
        expect(plain(withSpans(kept, spans, joinedByUser(joined)))).toEqual(naive([...older, ...newer], joined));
        expect(kept).toEqual(keptBefore);
      }),
      { numRuns: 300 },
    );
  });
});
