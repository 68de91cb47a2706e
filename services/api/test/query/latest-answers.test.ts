import { describe, expect, it } from 'vitest';
import { windowOf } from '../../src/domain/days.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { latestAnswers, latestNpsOfAccountUsers, latestNpsOfUsers, type LatestAnswers } from '../../src/query/latest-nps.queries.ts';
import { appWithEvents } from '../support/app-with-events.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';

// The segment facts' latest NPS answers are a window figure (query/latest-nps.queries.ts
// `latestAnswers`): the days before the last are kept, and after answers of today only today's
// are read. After each wave it must give what the answers read over the whole window give: an
// answer of today overriding a user's earlier one, a new user's answer naming an account, an
// answer of a day inside the window (the days before read again), an anonymous answer linked to
// a member (a change naming no day).
const now = new Date(Date.now() - 60_000);
const asOf = now.toISOString().slice(0, 10);
const window = windowOf(asOf, 30);
const data = generateDataset({ seed: 5120, asOf: addDays(asOf, -1), days: 40, accounts: 4 });
const [, second] = data.users;
const answer = (id: string, timestamp: string, score: number, who: { userId: string } | { anonymousId: string }, groupId?: string): OracleEvent =>
  ({ type: 'track', messageId: `la-${id}`, timestamp, event: '$nps_response', properties: { score }, ...who, ...(groupId ? { context: { groupId } } : {}) }) as OracleEvent;

/** Both as sorted rows, to compare. */
const rowsOf = (answers: LatestAnswers) => ({
  users: [...answers.users].map(([userId, score]) => ({ userId, score })).sort((a, b) => (a.userId < b.userId ? -1 : 1)),
  accounts: [...answers.accounts].flatMap(([accountId, byUser]) => [...byUser].map(([userId, score]) => ({ accountId, userId, score }))).sort(byAccountUser),
});
const byAccountUser = (a: { accountId: string; userId: string }, b: { accountId: string; userId: string }) => (`${a.accountId}\u0000${a.userId}` < `${b.accountId}\u0000${b.userId}` ? -1 : 1);

describe.each(testDatabaseKinds)('latest NPS answers over a window, kept in two parts, on %s', (kind) => {
  const app = appWithEvents(kind, data.events);

  it('gives the latest answers of the whole window after each wave', async () => {
    const t = app();
    const { projectId } = t.project;
    const db = t.app.store.db;
    const cache = createFigureCache({ versions: t.app.changeTracker, maxStalenessMs: 0 });
    const expectWhole = async () => {
      const [users, accounts] = await Promise.all([latestNpsOfUsers(db, projectId, window, asOf), latestNpsOfAccountUsers(db, projectId, window, asOf)]);
      const kept = await latestAnswers(db, cache, projectId, window);
      expect(rowsOf(kept)).toEqual({ users: [...users].sort((a, b) => (a.userId < b.userId ? -1 : 1)), accounts: [...accounts].sort(byAccountUser) });
      return kept;
    };
    const initial = await expectWhole();
    // A user who answered in the days before answers again today, with another score.
    const [answered, score] = [...initial.users][0]!;
    const again = score === 2 ? 3 : 2;
    const account = data.events.find((event) => event.context?.groupId)!.context!.groupId!;
    const dayAt = (ago: number) => `${addDays(asOf, -ago)}T06:00:00.000Z`;
    const waves: OracleEvent[][] = [
      [answer('1', now.toISOString(), again, { userId: answered }), answer('2', now.toISOString(), 9, { userId: 'la-new-user' }, account)],
      [answer('3', dayAt(12), 4, { userId: second!.userId }, account)],
      [
        answer('4', dayAt(5), 10, { anonymousId: 'la-anon' }),
        { type: 'identify', messageId: 'la-5', timestamp: now.toISOString(), anonymousId: 'la-anon', userId: 'la-linked' },
        { type: 'group', messageId: 'la-6', timestamp: now.toISOString(), userId: 'la-linked', groupId: account },
      ],
    ];
    for (const wave of waves) {
      await ingestEvents(t.app, t.project.writeKey, wave);
      await expectWhole();
    }
    const last = await latestAnswers(db, cache, projectId, window);
    expect(last.users.get(answered)).toBe(again);
    expect(last.accounts.get(account)?.get('la-new-user')).toBe(9);
    expect(last.users.get('la-linked')).toBe(10);
  }, 120_000);
});
