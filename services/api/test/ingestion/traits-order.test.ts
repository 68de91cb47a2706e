/**
 * Traits follow event time, not arrival (docs/api.md, Definitions): per trait key, the identify
 * (user) or group (account) call with the latest timestamp wins, equal timestamps going to the
 * later received call; seats and onboarded_at are the latest numeric `seats` and string
 * `onboardedAt`. Calls go through POST /v1/batch; rows are read from the database and checked
 * against a plain fold of the same calls, and onboarded_at also through the NPS widget.
 */
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { up as traitsByEventTime } from '../../src/db/migrations/2026_11_28_090000_traits_by_event_time.ts';
import { userHash, type ProjectKeys } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

type Call = {
  type: 'identify' | 'group';
  messageId: string;
  userId: string;
  groupId?: string;
  timestamp: string;
  traits: Record<string, unknown>;
  context?: Record<string, unknown>;
};

const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 10, minute)).toISOString();
let sequence = 0;
const identify = (userId: string, minute: number, traits: Record<string, unknown>, messageId = `t-${++sequence}`): Call => ({
  type: 'identify', messageId, userId, timestamp: at(minute), traits,
});
const group = (groupId: string, minute: number, traits: Record<string, unknown>, messageId = `t-${++sequence}`): Call => ({
  type: 'group', messageId, userId: 'member', groupId, timestamp: at(minute), traits,
});

/** Oracle: what a user or account should hold after these batches, sent in this order. */
type Expected = { traits: Record<string, unknown>; traitsAt: Date; seats: number | null; onboardedAt: Date | null };

const codePoints = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function expectedOf(batches: Call[][], type: Call['type'], id: string): Expected | undefined {
  // A messageId already stored is a duplicate: its first arrival counts.
  const stored = new Map<string, { call: Call; received: number }>();
  batches.forEach((batch, received) => {
    for (const call of batch) if (!stored.has(call.messageId)) stored.set(call.messageId, { call, received });
  });
  const calls = [...stored.values()]
    .filter(({ call }) => call.type === type && (type === 'identify' ? call.userId : call.groupId) === id)
    .sort((a, b) => Date.parse(a.call.timestamp) - Date.parse(b.call.timestamp) || a.received - b.received || codePoints(a.call.messageId, b.call.messageId));
  if (calls.length === 0) return undefined;
  let expected: Expected = { traits: {}, traitsAt: new Date(0), seats: null, onboardedAt: null };
  for (const { call } of calls) {
    const { seats, onboardedAt } = call.traits;
    expected = {
      traits: { ...expected.traits, ...call.traits },
      traitsAt: new Date(call.timestamp),
      seats: typeof seats === 'number' ? seats : expected.seats,
      onboardedAt: typeof onboardedAt === 'string' ? new Date(onboardedAt) : expected.onboardedAt,
    };
  }
  return expected;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testDatabaseKinds)('trait order on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  /** One POST per batch, each received at a later millisecond than the one before. */
  const send = async (project: ProjectKeys, ...batches: Call[][]) => {
    for (const batch of batches) {
      await sleep(2);
      const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().rejected).toEqual([]);
    }
  };
  const user = async (project: ProjectKeys, userId: string) => {
    const row = await t.app.store.db.selectFrom('users').select(['traits', 'traits_at']).where('project_id', '=', project.projectId).where('user_id', '=', userId).executeTakeFirst();
    return row && { traits: row.traits, traitsAt: row.traits_at };
  };
  const account = async (project: ProjectKeys, accountId: string) => {
    const row = await t.app.store.db
      .selectFrom('accounts')
      .select(['traits', 'traits_at', 'seats', 'onboarded_at'])
      .where('project_id', '=', project.projectId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row && { traits: row.traits, traitsAt: row.traits_at, seats: row.seats, onboardedAt: row.onboarded_at };
  };

  it('merges calls that arrive in order, the later winning', async () => {
    const project = await t.createProject();
    await send(project, [identify('u', 1, { name: 'Ada', role: 'admin' })], [identify('u', 2, { name: 'Ada L.' })]);
    expect(await user(project, 'u')).toEqual({ traits: { name: 'Ada L.', role: 'admin' }, traitsAt: new Date(at(2)) });
  });

  it('applies a late older call only to the keys no newer call set', async () => {
    const project = await t.createProject();
    await send(project, [identify('u', 5, { name: 'New', role: 'owner' })], [identify('u', 1, { name: 'Old', email: 'old@acme.io' })]);
    expect(await user(project, 'u')).toEqual({ traits: { name: 'New', role: 'owner', email: 'old@acme.io' }, traitsAt: new Date(at(5)) });
    // Still merged onto by later calls, and a second late call lands between the others.
    await send(project, [identify('u', 6, { role: 'admin' })], [identify('u', 3, { name: 'Mid', isChampion: true })]);
    expect(await user(project, 'u')).toEqual({ traits: { name: 'New', role: 'admin', email: 'old@acme.io', isChampion: true }, traitsAt: new Date(at(6)) });
  });

  it('keeps the newer seats and onboardedAt against a late older group call', async () => {
    const project = await t.createProject();
    await send(project, [group('A', 5, { name: 'Acme', seats: 10, onboardedAt: '2026-10-05' })], [group('A', 1, { seats: 3, onboardedAt: '2026-09-01', plan: 'trial' })]);
    expect(await account(project, 'A')).toEqual({
      traits: { name: 'Acme', seats: 10, onboardedAt: '2026-10-05', plan: 'trial' },
      traitsAt: new Date(at(5)),
      seats: 10,
      onboardedAt: new Date('2026-10-05T00:00:00Z'),
    });
    // A late call with seats and onboardedAt the newer calls never set: they apply.
    await send(project, [group('B', 5, { name: 'Beta' })], [group('B', 1, { seats: 4, onboardedAt: '2026-09-02T08:30:00+02:00' })]);
    expect(await account(project, 'B')).toMatchObject({ seats: 4, onboardedAt: new Date('2026-09-02T06:30:00Z') });
  });

  it('leaves seats at the latest number when a later call sends seats: null, also out of order', async () => {
    const project = await t.createProject();
    await send(project, [group('A', 1, { seats: 5 })], [group('A', 9, { seats: null })], [group('A', 4, { seats: 7 })]);
    expect(await account(project, 'A')).toMatchObject({ traits: { seats: null }, seats: 7 });
    // Within one batch too: the null is the latest seats trait, 12 the latest number.
    await send(project, [group('C', 2, { seats: 12 }), group('C', 3, { seats: null })]);
    expect(await account(project, 'C')).toMatchObject({ traits: { seats: null }, seats: 12 });
  });

  it('gives equal timestamps to the later received call, whichever is sent first', async () => {
    const project = await t.createProject();
    // The later one has the smaller messageId, so only the receive order can make it win.
    await send(project, [identify('u', 3, { plan: 'first' }, 'eq-b')], [identify('u', 3, { plan: 'second' }, 'eq-a')]);
    expect((await user(project, 'u'))?.traits).toEqual({ plan: 'second' });
    await send(project, [group('A', 7, { plan: 'first', seats: 1 }, 'eq-d')], [group('A', 7, { plan: 'second', seats: 2 }, 'eq-c')]);
    expect(await account(project, 'A')).toMatchObject({ traits: { plan: 'second', seats: 2 }, seats: 2 });
    // Against a row whose latest call has the same time, but an older messageId.
    await send(project, [identify('u', 3, { plan: 'third' }, 'eq-0')]);
    expect((await user(project, 'u'))?.traits).toEqual({ plan: 'third' });
  });

  it('folds several calls of one batch in event time, then late ones into them', async () => {
    const project = await t.createProject();
    await send(project, [identify('u', 9, { name: 'C' }), identify('u', 2, { name: 'A', role: 'r1' }), identify('u', 5, { role: 'r2', email: 'b@x.io' })]);
    expect(await user(project, 'u')).toEqual({ traits: { name: 'C', role: 'r2', email: 'b@x.io' }, traitsAt: new Date(at(9)) });
    // A batch mixing a newer and an older call: the older must not override the row's r2.
    await send(project, [identify('u', 10, { name: 'D' }), identify('u', 1, { role: 'r0', isChampion: false })]);
    expect(await user(project, 'u')).toEqual({ traits: { name: 'D', role: 'r2', email: 'b@x.io', isChampion: false }, traitsAt: new Date(at(10)) });
  });

  it('answers the NPS prompt from the newest onboardedAt, whatever the arrival order', async () => {
    const project = await t.createProject();
    const DAY_MS = 86_400_000;
    const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    const daysAgo = (days: number) => new Date(todayStart - days * DAY_MS + 12 * 3_600_000).toISOString();
    const dayOf = (days: number) => new Date(todayStart - days * DAY_MS).toISOString().slice(0, 10);
    const call = (userId: string, groupId: string, days: number, onboardedAt: string): Call => ({
      type: 'group', messageId: `nps-${++sequence}`, userId, groupId, timestamp: daysAgo(days), traits: { name: groupId, onboardedAt },
      // The user's hash, as the SDK sends it: only a verified membership opens the account in widgets.
      context: { userHash: userHash(project.identitySecret, userId) },
    });
    // Users and accounts first seen two days ago: only an onboarded account makes them eligible.
    // "late": onboarding moved to next month, then a stale call says 40 days ago. "early": the reverse.
    await send(project, [call('late-user', 'late', 1, dayOf(-30))], [call('late-user', 'late', 2, dayOf(40))]);
    await send(project, [call('early-user', 'early', 1, dayOf(40))], [call('early-user', 'early', 2, dayOf(-30))]);
    const nps = async (userId: string) => {
      const url = `/v1/widgets/nps?userId=${userId}&userHash=${userHash(project.identitySecret, userId)}`;
      const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${project.writeKey}` } });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };
    expect(await nps('late-user')).toMatchObject({ show: false, reason: 'too_new' });
    expect(await nps('early-user')).toMatchObject({ show: true, reason: 'eligible' });
    expect((await account(project, 'late'))?.onboardedAt).toEqual(new Date(`${dayOf(-30)}T00:00:00Z`));
  });

  it('agrees with GET /v1/accounts on the name after a late older call', async () => {
    const project = await t.createProject();
    await send(project, [group('A', 5, { name: 'Acme Inc' })], [group('A', 1, { name: 'Acme (trial)', plan: 'trial' })]);
    const response = await t.app.inject({ method: 'GET', url: '/v1/accounts?asOf=2026-10-02', headers: { authorization: `Bearer ${project.secretKey}` } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().items).toMatchObject([{ accountId: 'A', name: 'Acme Inc' }]);
    expect((await account(project, 'A'))?.traits).toEqual({ name: 'Acme Inc', plan: 'trial' });
  });

  // Random identify and group calls over a few users and accounts, on few distinct timestamps (so
  // ties are common), in random batches sent in a random order, some calls resent (retries).
  const USERS = ['u1', 'u2', 'u3'];
  const ACCOUNTS = ['a1', 'a2'];
  const value = fc.constantFrom<unknown>('x', 'y', 'z', null, 1, true);
  const tag = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 2 });
  const userTraits = fc.record(
    { name: fc.constantFrom('Ada', 'Bo', null), role: fc.constantFrom('admin', 'member'), isChampion: fc.boolean(), x: value },
    { requiredKeys: [] },
  );
  const accountTraits = fc.record(
    {
      name: fc.constantFrom('Acme', 'Beta'),
      plan: fc.constantFrom('free', 'pro', null),
      seats: fc.oneof(fc.nat({ max: 50 }), fc.constant(null)),
      onboardedAt: fc.constantFrom('2026-09-01', '2026-09-15T10:00:00.250Z', '2026-10-01T12:00:00+02:00', null),
      x: value,
    },
    { requiredKeys: [] },
  );
  const call = fc.oneof(
    fc.record({ type: fc.constant('identify' as const), id: fc.constantFrom(...USERS), minute: fc.nat({ max: 4 }), tag: tag, traits: userTraits }),
    fc.record({ type: fc.constant('group' as const), id: fc.constantFrom(...ACCOUNTS), minute: fc.nat({ max: 4 }), tag: tag, traits: accountTraits }),
  );
  const arrivals = fc
    .tuple(fc.array(call, { minLength: 1, maxLength: 14 }), fc.array(fc.nat({ max: 13 }), { maxLength: 5 }), fc.array(fc.nat({ max: 13 }), { maxLength: 2 }))
    .map(([generated, cuts, resent]) => {
      // messageIds unique by the index, their order among ties random by the tag.
      const calls = generated.map((c, index): Call =>
        c.type === 'identify'
          ? { type: 'identify', messageId: `${c.tag}-${index}`, userId: c.id, timestamp: at(c.minute), traits: c.traits }
          : { type: 'group', messageId: `${c.tag}-${index}`, userId: 'member', groupId: c.id, timestamp: at(c.minute), traits: c.traits },
      );
      const bounds = [...new Set([0, ...cuts.filter((cut) => cut < calls.length), calls.length])].sort((a, b) => a - b);
      const batches = bounds.slice(1).map((end, i) => calls.slice(bounds[i], end));
      const retries = resent.filter((index) => index < calls.length).map((index) => [calls[index]!]);
      return [...batches, ...retries];
    });

  const checkAgainstFold = async (project: ProjectKeys, batches: Call[][]) => {
    for (const userId of USERS) {
      const want = expectedOf(batches, 'identify', userId);
      expect(await user(project, userId), userId).toEqual(want && { traits: want.traits, traitsAt: want.traitsAt });
    }
    for (const accountId of ACCOUNTS) {
      expect(await account(project, accountId), accountId).toEqual(expectedOf(batches, 'group', accountId));
    }
  };

  it('equals a plain fold of the calls for random calls, batches and arrival orders', async () => {
    await fc.assert(
      fc.asyncProperty(arrivals, async (batches) => {
        const project = await t.createProject();
        await send(project, ...batches);
        await checkAgainstFold(project, batches);
      }),
      { numRuns: kind === 'pglite' ? 100 : 40 },
    );
  });

  it('equals the fold when concurrent transactions store calls of the same users and accounts', async () => {
    // Distinct timestamps in a scrambled order (37 is prime to 60), so the receive order of the
    // concurrent requests does not matter; on Postgres two writers run at once.
    const calls = Array.from({ length: 60 }, (_, i): Call => {
      const timestamp = new Date(Date.UTC(2026, 9, 1, 10, 0, (i * 37) % 60)).toISOString();
      return i % 2 === 0
        ? { type: 'identify', messageId: `c-${i}`, userId: USERS[i % 3]!, timestamp, traits: { name: `n${i}`, ...(i % 3 === 0 ? { role: `r${i}` } : {}) } }
        : { type: 'group', messageId: `c-${i}`, userId: USERS[i % 3]!, groupId: ACCOUNTS[i % 2 === 1 && i % 4 === 1 ? 0 : 1]!, timestamp, traits: { [`k${i % 5}`]: i, ...(i % 3 === 0 ? { seats: i } : { onboardedAt: `2026-09-${String(1 + (i % 28)).padStart(2, '0')}` }) } };
    });
    const batches = Array.from({ length: 20 }, (_, b) => calls.slice(b * 3, b * 3 + 3));
    const project = await t.createProject();
    const responses = await Promise.all(
      batches.map((batch) => t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } })),
    );
    for (const response of responses) expect(response.statusCode, response.body).toBe(200);
    await checkAgainstFold(project, batches);
  });

  it('migration 2026_11_28_090000 refolds rows written in arrival order', async () => {
    const samples = fc.sample(arrivals, { numRuns: 8, seed: 42 });
    const projects: ProjectKeys[] = [];
    for (const batches of samples) {
      const project = await t.createProject();
      await send(project, ...batches);
      projects.push(project);
    }
    // Back to the schema before the migration, rows wrong as arrival order could leave them, then
    // the migration again: every project's rows, so work across projects (on Citus, across shards).
    await acrossProjects(t.app.store.db, async (db) => {
      await sql`drop index events_identify_by_user`.execute(db);
      await sql`drop index events_group_by_account`.execute(db);
      await sql`alter table users drop column traits_at`.execute(db);
      await sql`alter table accounts drop column traits_at`.execute(db);
      await sql`update users set traits = traits || '{"role": "stale"}'`.execute(db);
      await sql`update accounts set traits = '{}', seats = 999, onboarded_at = now()`.execute(db);
      await traitsByEventTime(db as unknown as Kysely<unknown>);
    });
    for (const [index, project] of projects.entries()) await checkAgainstFold(project, samples[index]!);
  });
});
