import { describe, expect, it } from 'vitest';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { keptTraitsAsOf, traitsAsOf } from '../../src/query/traits-as-of.queries.ts';
import { appWithEvents } from '../support/app-with-events.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { ingestEvents } from '../support/ingest.ts';
import { addDays, type OracleEvent } from '../support/oracle.ts';

// The traits the segment facts and the project's groups read are cached and brought up to date
// from the days new events fell on (query/traits-as-of.queries.ts `keptTraitsAsOf`): only the ids
// with a call on a changed day are read again. After each wave of calls they must be what a read
// from nothing gives: a trait changed today, a new user, a late call older than the kept one, a
// late call newer than it, an anonymous call of a linked anonymousId, an account's trait, a call
// setting none of the names; then a link (naming no day) reads afresh.
const now = new Date(Date.now() - 60_000);
const asOf = now.toISOString().slice(0, 10);
const data = generateDataset({ seed: 9102, asOf: addDays(asOf, -1), days: 45, accounts: 5 });
const linked = data.scenario.anonymousThenIdentified[0]!;
const [first, second, third] = data.users.filter((user) => user.userId !== linked.userId);
const accountId = data.accounts[0]!.accountId;
const USER_NAMES = ['role', 'isChampion', 'email'];
const ACCOUNT_NAMES = ['plan', 'name'];
const dayAt = (ago: number, hour = 6) => `${addDays(asOf, -ago)}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const identify = (id: string, timestamp: string, who: { userId?: string; anonymousId?: string }, traits: Record<string, unknown>): OracleEvent =>
  ({ type: 'identify', messageId: `kt-${id}`, timestamp, ...who, traits }) as OracleEvent;

describe.each(testDatabaseKinds)('traits kept and brought up to date from the changed days, on %s', (kind) => {
  const app = appWithEvents(kind, data.events);

  it('equal a read from nothing after each wave, reading again only the ids that called', async () => {
    const t = app();
    const kept = createFigureCache({ versions: t.app.changeTracker, maxStalenessMs: 0 });
    const read = () => Promise.all([keptTraitsAsOf(t.app.store.db, kept, t.project.projectId, 'users', USER_NAMES, asOf), keptTraitsAsOf(t.app.store.db, kept, t.project.projectId, 'accounts', ACCOUNT_NAMES, asOf)]);
    const fromNothing = () => Promise.all([traitsAsOf(t.app.store.db, t.project.projectId, 'users', USER_NAMES, asOf), traitsAsOf(t.app.store.db, t.project.projectId, 'accounts', ACCOUNT_NAMES, asOf)]);
    let [users, accounts] = await read();
    expect([users, accounts]).toEqual(await fromNothing());

    const waves: Array<{ events: OracleEvent[]; changed: string[] }> = [
      // A trait changed today, and a new user.
      { events: [identify('1', now.toISOString(), { userId: first!.userId }, { role: 'owner' }), identify('2', now.toISOString(), { userId: 'kt-new' }, { email: 'new@example.com', isChampion: true })], changed: [first!.userId, 'kt-new'] },
      // A late call older than the kept one (the value stays), and one newer than it (the value changes).
      { events: [identify('3', dayAt(44), { userId: second!.userId }, { role: 'intern' }), identify('4', dayAt(0, 1), { userId: third!.userId }, { role: 'auditor' })], changed: [second!.userId, third!.userId] },
      // An anonymousId's call counts for the user it is linked to.
      { events: [identify('5', now.toISOString(), { anonymousId: linked.anonymousId }, { isChampion: true })], changed: [linked.userId] },
      // An account's trait, and a call that sets none of the names read.
      { events: [{ type: 'group', messageId: 'kt-6', timestamp: now.toISOString(), userId: first!.userId, groupId: accountId, traits: { plan: 'enterprise' } } as OracleEvent, identify('7', now.toISOString(), { userId: second!.userId }, { favouriteColour: 'teal' })], changed: [accountId] },
    ];
    const calledToday = new Set<string>();
    // The late call's day: its callers in the generated data (users by their own id, accounts) are read again too.
    const lateDay = dayAt(44).slice(0, 10);
    const lateCallers = data.events.filter((event) => event.timestamp.startsWith(lateDay)).flatMap((event) => (event.type === 'identify' ? [event.userId ?? ''] : event.type === 'group' ? [event.groupId] : []));
    for (const wave of waves) {
      await ingestEvents(t.app, t.project.writeKey, wave.events);
      const [usersAfter, accountsAfter] = await read();
      expect([usersAfter, accountsAfter]).toEqual(await fromNothing());
      // Brought up to date, not read afresh: every id without a call on the wave's days (the
      // generated data ends yesterday; the waves' calls are of today but one) is the kept record itself.
      for (const id of wave.changed) calledToday.add(id);
      const reread = wave.events.some((event) => event.timestamp < `${asOf}T`) ? new Set([...calledToday, ...lateCallers]) : calledToday;
      for (const [id, traits] of usersAfter) if (!reread.has(id) && users.has(id)) expect(traits, id).toBe(users.get(id));
      for (const [id, traits] of accountsAfter) if (!reread.has(id) && accounts.has(id)) expect(traits, id).toBe(accounts.get(id));
      [users, accounts] = [usersAfter, accountsAfter];
    }
    expect(users.get(first!.userId)).toMatchObject({ role: 'owner' });
    expect(users.get(third!.userId)).toMatchObject({ role: 'auditor' });
    expect(users.get(linked.userId)).toMatchObject({ isChampion: true });
    expect(accounts.get(accountId)).toMatchObject({ plan: 'enterprise' });

    // A link re-attributes an anonymousId's calls (a change naming no day): read afresh.
    await ingestEvents(t.app, t.project.writeKey, [
      identify('8', dayAt(20), { anonymousId: 'kt-anon' }, { role: 'guest' }),
      identify('9', now.toISOString(), { anonymousId: 'kt-anon', userId: 'kt-linked-later' }, {}),
    ]);
    const [afterLink] = await read();
    expect(afterLink).toEqual((await fromNothing())[0]);
    expect(afterLink.get('kt-linked-later')).toEqual({ role: 'guest' });
    expect(afterLink.get(third!.userId)).not.toBe(users.get(third!.userId));
  }, 120_000);
});
