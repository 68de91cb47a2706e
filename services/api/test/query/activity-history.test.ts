import { describe, expect, it } from 'vitest';
import type { History } from '../../src/domain/segments/fold-history.ts';
import { activityHistory } from '../../src/query/activity-history.queries.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { appWithEvents } from '../support/app-with-events.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';

// The segment facts' whole history is cached and brought up to date from the days new events
// fell on (query/activity-history.queries.ts `activityHistory`): only the spans ending on or after
// the earliest changed day are read again, and folded into the kept history. After each wave of
// events it must be the history a read from nothing gives: events of today, a late event
// of a day long past, a span starting earlier, an NPS answer, a new user, a second account key;
// then a link (naming no day) reads afresh.
const now = new Date(Date.now() - 60_000);
const asOf = now.toISOString().slice(0, 10);
const data = generateDataset({ seed: 4417, asOf: addDays(asOf, -1), days: 45, accounts: 5 });
const [first, second, third] = data.users;
const track = (id: string, timestamp: string, event: Omit<OracleEvent, 'messageId' | 'timestamp' | 'type'>): OracleEvent =>
  ({ type: 'track', messageId: `ah-${id}`, timestamp, ...event }) as OracleEvent;
const dayAt = (ago: number) => `${addDays(asOf, -ago)}T06:00:00.000Z`;

describe.each(testDatabaseKinds)('whole activity history brought up to date from the changed days, on %s', (kind) => {
  const app = appWithEvents(kind, data.events);

  it('folds to the history read from nothing after each wave, reading again only what changed', async () => {
    const t = app();
    const { projectId } = t.project;
    const cache = () => createFigureCache({ versions: t.app.changeTracker, maxStalenessMs: 0 });
    /** A read from nothing: a cache of its own. */
    const fromNothing = () => activityHistory(t.app.store.db, cache(), projectId, asOf);
    const kept = cache();
    const read = () => activityHistory(t.app.store.db, kept, projectId, asOf);
    const expectSameHistory = async (history: History) => expect(history).toEqual(await fromNothing());
    // Brought up to date, not read afresh: the users no span of the changed days touched are the
    // kept ones (after events of today, every user but theirs; a late event reaches most).
    const sharesUsers = (a: History, b: History) => [...a.users].some(([userId, user]) => b.users.get(userId) === user);
    const initial = await read();
    await expectSameHistory(initial);
    const initialAsItWas = structuredClone(initial);

    const waves: OracleEvent[][] = [
      [
        track('1', now.toISOString(), { userId: first!.userId, event: 'Export CSV' }),
        track('2', now.toISOString(), { userId: 'ah-new-user', event: 'Report Created' }),
      ],
      // A late event of a day long past, for a user whose spans may all end before it.
      [track('3', dayAt(40), { userId: second!.userId, event: 'Late Feature' })],
      // A span that starts earlier (the user's first day too), and an answer (no activity).
      [
        track('3b', dayAt(44), { userId: first!.userId, event: 'Export CSV' }),
        track('3c', now.toISOString(), { userId: second!.userId, event: '$nps_response', properties: { score: 7 } }),
      ],
      [track('4', now.toISOString(), { userId: third!.userId, event: 'Export CSV', context: { groupId: 'ah-second-key' } })],
    ];
    let before = initial;
    for (const wave of waves) {
      await ingestEvents(t.app, t.project.writeKey, wave);
      const after = await read();
      if (wave.every((event) => event.timestamp === now.toISOString())) expect(sharesUsers(after, before)).toBe(true);
      expect(after).not.toBe(before);
      await expectSameHistory(after);
      before = after;
    }

    // A link re-attributes an anonymous id's old events (a change naming no day): read afresh.
    await ingestEvents(t.app, t.project.writeKey, [
      track('5', dayAt(20), { anonymousId: 'ah-anon', event: 'Old Anonymous Feature' }),
      { type: 'identify', messageId: 'ah-6', timestamp: now.toISOString(), anonymousId: 'ah-anon', userId: first!.userId },
    ]);
    const linked = await read();
    expect(sharesUsers(linked, before)).toBe(false);
    await expectSameHistory(linked);
    expect(linked.users.get(first!.userId)!.featuresUsed.has('Old Anonymous Feature')).toBe(true);
    // Every update made a new history: the first one read is as it was (facts built from it hold it).
    expect(initial).toEqual(initialAsItWas);
  }, 120_000);
});
