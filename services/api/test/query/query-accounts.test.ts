import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateProjectPair } from '../support/generate-data.ts';
import { oracleHealth } from '../support/health-oracle.ts';
import { ingestEvents, ingestProjects } from '../support/ingest.ts';
import {
  addDays,
  BUILT_IN_SEGMENTS,
  oracleAccountFacts,
  oracleAccountLastActive,
  oracleNps,
  oracleSegmentMembers,
  oracleUserFacts,
  type BuiltInSegmentKey,
  type OracleEvent,
} from '../support/oracle.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';

// GET /v1/accounts and GET /v1/accounts/:accountId/users compared field by field with the
// independent oracle on generated data, for several days.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const pair = generateProjectPair({ seed: 47, asOf: yesterday, days: 75, accounts: 12 });
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;
// Nulls the generated accounts never have: `zz-quiet` (joined with a bare group call, never active:
// no name, seats or last active day) and `Nameless-Co` (only named by a track event); `user-extra`
// never identified (no name, no email).
const extra: OracleEvent[] = [
  { type: 'group', messageId: 'extra-1', timestamp: at(addDays(yesterday, -20), '09:00'), userId: 'user-extra', groupId: 'zz-quiet' },
  { type: 'track', messageId: 'extra-2', timestamp: at(addDays(yesterday, -3), '10:00'), userId: 'user-extra', event: 'Report Created', properties: { accountId: 'Nameless-Co' } },
];
const events = [...pair.first.events, ...extra];
const asOfDays = [yesterday, addDays(yesterday, -9), addDays(yesterday, -31)];
const accountKeys = (Object.keys(BUILT_IN_SEGMENTS) as Array<keyof typeof BUILT_IN_SEGMENTS>).filter((key) => BUILT_IN_SEGMENTS[key] === 'accounts') as BuiltInSegmentKey[];

// A custom account segment on the account's NPS: no answers yet, or not more detractors than promoters.
const notDetracting = { key: 'not-detracting', rule: { any: [{ field: 'nps', op: 'gte', value: 0 }, { field: 'nps', op: 'exists', value: false }] } };

type Row = {
  accountId: string;
  name: string | null;
  score: number;
  percentile: number;
  seats: number | null;
  activeUsers30d: number;
  utilisation: number | null;
  utilisationChange: number | null;
  nps: number | null;
  npsResponses: number;
  lastActive: string | null;
  memberCount: number;
  segments: string[];
  health: number | null;
  healthBand: string | null;
};
const text = (value: unknown) => (typeof value === 'string' ? value : null);

const memo = new Map<string, unknown>();
const remember = <T>(key: string, compute: () => T): T => {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
};

/** Every account's row as of a day, by id, straight from the oracle. */
const oracleRows = (data: readonly OracleEvent[], asOf: string, withCustom: boolean): Row[] =>
  remember(`rows|${data === events ? 1 : 2}|${asOf}`, () => {
    const lastActive = oracleAccountLastActive(data, { asOf });
    const health = oracleHealth(data, { asOf });
    const segmentsOf = new Map<string, string[]>();
    for (const key of accountKeys) for (const id of oracleSegmentMembers(data, key, { asOf })) segmentsOf.set(id, [...(segmentsOf.get(id) ?? []), key]);
    return oracleAccountFacts(data, { asOf }).map((account) => {
      const nps = oracleNps(data, { asOf, accountId: account.accountId });
      const custom = withCustom && (nps.nps === null || nps.nps >= 0) ? [notDetracting.key] : [];
      return {
        accountId: account.accountId,
        name: text(account.traits['name']),
        score: account.score,
        percentile: account.percentile,
        seats: account.seats,
        activeUsers30d: account.activeUsers30d,
        utilisation: account.utilisation,
        utilisationChange: account.change,
        nps: nps.nps,
        npsResponses: nps.responses,
        lastActive: lastActive.get(account.accountId) ?? null,
        memberCount: account.members.length,
        segments: [...(segmentsOf.get(account.accountId) ?? []), ...custom].sort(),
        health: health.get(account.accountId)!.score,
        healthBand: health.get(account.accountId)!.band,
      };
    });
  });

/** A row as the API must send it: ratios equal to 1e-9. */
const onWire = (row: Row) => ({
  ...row,
  utilisation: row.utilisation === null ? null : expect.closeTo(row.utilisation, 9),
  utilisationChange: row.utilisationChange === null ? null : expect.closeTo(row.utilisationChange, 9),
});

const sorts = ['score', 'utilisation', 'name', 'activeUsers30d', 'lastActive'] as const;
/** Ids in the documented order: the values in `order`, then the accounts without one; ties by id. */
function orderedIds(rows: Row[], sort: (typeof sorts)[number], order: 'asc' | 'desc'): string[] {
  const valueOf = (row: Row) => (sort === 'name' ? (row.name?.toLowerCase() ?? null) : row[sort]);
  const byId = (a: Row, b: Row) => (a.accountId < b.accountId ? -1 : 1);
  const known = rows.filter((row) => valueOf(row) !== null);
  const unknown = rows.filter((row) => valueOf(row) === null).sort(byId);
  known.sort((a, b) => {
    const [x, y] = [valueOf(a)!, valueOf(b)!];
    if (x === y) return byId(a, b);
    return (x < y) === (order === 'asc') ? -1 : 1;
  });
  return [...known, ...unknown].map((row) => row.accountId);
}

describe.each(testDatabaseKinds)('accounts table on %s', (kind) => {
  let t: TestApp;
  let second: ProjectKeys;
  const call = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const get = async (url: string, key = t.project.secretKey) => {
    const response = await call(url, key);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  /** Every item of every page, following nextCursor. */
  const walk = async (url: string, key = t.project.secretKey, cursor: string | null = null) => {
    const items: any[] = [];
    do {
      const page = await get(cursor ? `${url}${url.includes('?') ? '&' : '?'}cursor=${cursor}` : url, key);
      items.push(...page['items']);
      cursor = page['nextCursor'];
    } while (cursor);
    return items;
  };
  const expectBadRequest = async (url: string, path: string) => {
    const response = await call(url);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
    expect(response.json(), url).toMatchObject({ error: expect.any(String), path, message: expect.stringContaining(path) });
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    second = await t.createProject('Second');
    await ingestProjects(t.app, [
      { writeKey: t.project.writeKey, events },
      { writeKey: second.writeKey, events: pair.second.events },
    ]);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/segments',
      headers: { authorization: `Bearer ${t.project.secretKey}` },
      payload: { key: notDetracting.key, name: 'Not detracting', of: 'accounts', rule: notDetracting.rule },
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => t?.close());

  it('answers every account with the figures, NPS and segments the oracle computes, for several days', async () => {
    for (const asOf of asOfDays) {
      const rows = oracleRows(events, asOf, true);
      expect(rows.length).toBeGreaterThan(8);
      expect(await get(`/v1/accounts?asOf=${asOf}&limit=500`), asOf).toEqual({
        model: { version: 1 },
        asOf,
        healthModel: { version: 1 },
        total: rows.length,
        items: orderedIds(rows, 'score', 'desc').map((id) => onWire(rows.find((row) => row.accountId === id)!)),
        nextCursor: null,
      });
    }
    // The data exercises every field: NPS answered and not, nulls, segments of both kinds.
    const rows = oracleRows(events, yesterday, true);
    for (const field of ['name', 'seats', 'utilisation', 'nps', 'lastActive'] as const) {
      expect(rows.some((row) => row[field] === null), field).toBe(true);
      expect(rows.some((row) => row[field] !== null), field).toBe(true);
    }
    expect(rows.some((row) => row.segments.includes(notDetracting.key))).toBe(true);
    expect(rows.some((row) => !row.segments.includes(notDetracting.key))).toBe(true);
    expect(new Set(rows.flatMap((row) => row.segments)).size).toBeGreaterThan(5);
  }, 300_000);

  it('gives each account the NPS GET /v1/nps answers for it', async () => {
    const { items } = await get(`/v1/accounts?asOf=${yesterday}&limit=500`);
    for (const item of items) {
      const nps = await get(`/v1/nps?accountId=${encodeURIComponent(item.accountId)}&asOf=${yesterday}`);
      expect({ nps: item.nps, npsResponses: item.npsResponses }, item.accountId).toEqual({ nps: nps['nps'], npsResponses: nps['responses'] });
    }
  });

  it('sorts by each field in both orders, nulls last, ties by accountId; the pages cover the list once', async () => {
    const rows = oracleRows(events, yesterday, true);
    for (const sort of sorts) {
      for (const order of ['desc', 'asc'] as const) {
        const ids = (await walk(`/v1/accounts?asOf=${yesterday}&sort=${sort}&order=${order}&limit=4`)).map((item) => item.accountId);
        expect(ids, `${sort} ${order}`).toEqual(orderedIds(rows, sort, order));
        expect(new Set(ids).size).toBe(rows.length);
      }
    }
    // Nulls last in both orders: zz-quiet has no name, seats or activity.
    for (const sort of ['name', 'utilisation', 'lastActive']) {
      for (const order of ['asc', 'desc']) expect((await get(`/v1/accounts?asOf=${yesterday}&sort=${sort}&order=${order}&limit=500`))['items'].at(-1).accountId).toBe('zz-quiet');
    }
    // Default: score, descending, 50 a page.
    const first = await get(`/v1/accounts?asOf=${yesterday}`);
    expect(first['items'].map((item: any) => item.accountId)).toEqual(orderedIds(rows, 'score', 'desc'));
    expect(first['nextCursor']).toBeNull();
  });

  it('keeps the accounts whose id or name contains q, case-insensitively; total counts them', async () => {
    const rows = oracleRows(events, yesterday, true);
    for (const q of ['ACCT-0', 'account 1', 'nameless', 'Q', 'no such account']) {
      const needle = q.toLowerCase();
      const matching = rows.filter((row) => row.accountId.toLowerCase().includes(needle) || (row.name ?? '').toLowerCase().includes(needle));
      const url = `/v1/accounts?asOf=${yesterday}&q=${encodeURIComponent(q)}&sort=name&order=asc&limit=2`;
      expect((await get(url))['total'], q).toBe(matching.length);
      expect((await walk(url)).map((item) => item.accountId), q).toEqual(orderedIds(matching, 'name', 'asc'));
    }
    expect(rows.filter((row) => row.accountId.includes('acct-0')).length).toBe(9);
  });

  it('lists an account’s users with their project-wide figures, as the oracle computes', async () => {
    for (const asOf of asOfDays) {
      const users = new Map(oracleUserFacts(events, { asOf }).map((user) => [user.userId, user]));
      for (const account of oracleAccountFacts(events, { asOf })) {
        const expected = account.members
          .map((userId) => users.get(userId)!)
          .map((user) => ({
            userId: user.userId,
            name: text(user.traits['name']),
            email: text(user.traits['email']),
            score: user.score,
            percentile: user.percentile,
            firstSeen: user.firstSeen,
            lastActive: user.lastActive,
            nps: user.latestNps,
            isChampion: user.traits['isChampion'] === true,
          }))
          .sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1));
        const url = `/v1/accounts/${encodeURIComponent(account.accountId)}/users?asOf=${asOf}`;
        expect(await get(`${url}&limit=500`), `${account.accountId} as of ${asOf}`).toEqual({ accountId: account.accountId, model: { version: 1 }, asOf, items: expected, nextCursor: null });
        if (expected.length > 3) expect((await walk(`${url}&limit=3`)).map((user) => user.userId)).toEqual(expected.map((user) => user.userId));
      }
    }
    // Score and percentile are the user's own (GET /v1/users/:userId/score), whatever the account.
    const { items } = await get(`/v1/accounts/acct-01/users?asOf=${yesterday}`);
    for (const user of items) expect(await get(`/v1/users/${user.userId}/score?asOf=${yesterday}`)).toMatchObject({ score: user.score, percentile: user.percentile });
    expect((await get(`/v1/accounts/zz-quiet/users?asOf=${yesterday}`))['items']).toMatchObject([{ userId: 'user-extra', name: null, email: null, lastActive: addDays(yesterday, -3), isChampion: false }]);
    // An account first seen after asOf had nobody yet.
    const early = new Set(oracleAccountFacts(events, { asOf: asOfDays[2]! }).map((account) => account.accountId));
    const later = oracleAccountFacts(events, { asOf: yesterday }).find((account) => !early.has(account.accountId))!;
    expect(await get(`/v1/accounts/${later.accountId}/users?asOf=${asOfDays[2]}`)).toMatchObject({ items: [], nextCursor: null });
  });

  it('puts accounts in a custom segment by their NPS', async () => {
    for (const asOf of asOfDays) {
      const expected = oracleRows(events, asOf, true)
        .filter((row) => row.nps === null || row.nps >= 0)
        .map((row) => row.accountId);
      expect(expected.length).toBeGreaterThan(0);
      const members = await get(`/v1/segments/${notDetracting.key}/members?asOf=${asOf}&limit=1000`);
      expect(members['items'].map((item: any) => item.accountId), asOf).toEqual(expected);
      // The member facts carry the NPS that put them there.
      for (const item of members['items']) expect(item.nps === null || item.nps >= 0).toBe(true);
    }
    const some = oracleRows(events, yesterday, true).find((row) => row.nps !== null && row.nps < 0)!;
    expect((await get(`/v1/accounts/${some.accountId}/segments?asOf=${yesterday}`))['facts']).toMatchObject({ nps: some.nps, npsResponses: some.npsResponses });
  });

  it('answers 400 naming the parameter for a bad sort, order, limit, cursor or model', async () => {
    await expectBadRequest('/v1/accounts?sort=revenue', 'sort');
    await expectBadRequest('/v1/accounts?order=sideways', 'order');
    for (const limit of ['0', '501', 'ten', '2.5']) await expectBadRequest(`/v1/accounts?limit=${limit}`, 'limit');
    await expectBadRequest('/v1/accounts?cursor=nope', 'cursor');
    await expectBadRequest('/v1/accounts?model=99', 'model');
    // A cursor belongs to its sort and order.
    const byScore = await get(`/v1/accounts?asOf=${yesterday}&limit=2`);
    await expectBadRequest(`/v1/accounts?asOf=${yesterday}&limit=2&sort=name&cursor=${byScore['nextCursor']}`, 'cursor');
    await expectBadRequest(`/v1/accounts?asOf=${yesterday}&limit=2&order=asc&cursor=${byScore['nextCursor']}`, 'cursor');
    await expectBadRequest('/v1/accounts/acct-01/users?limit=501', 'limit');
    await expectBadRequest('/v1/accounts/acct-01/users?cursor=nope', 'cursor');
    await expectBadRequest(`/v1/accounts/acct-01/users?cursor=${byScore['nextCursor']}`, 'cursor');
    await expectBadRequest('/v1/accounts/acct-01/users?asOf=yesterday', 'asOf');
  });

  it('answers 404 for an unknown account, 401 for a write key', async () => {
    const unknown = await call('/v1/accounts/nobody/users');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'account_not_found' });
    for (const url of ['/v1/accounts', '/v1/accounts/acct-01/users']) {
      const withWriteKey = await call(url, t.project.writeKey);
      expect(withWriteKey.statusCode, url).toBe(401);
      expect(withWriteKey.json().error).toBe('write_key_not_allowed');
      expect((await t.app.inject({ method: 'GET', url, headers: { authorization: basicAuth(t.project.writeKey) } })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
  });

  it('never shows one project another project’s accounts or users', async () => {
    const rows = oracleRows(pair.second.events, yesterday, false);
    const answer = await get(`/v1/accounts?asOf=${yesterday}&limit=500`, second.secretKey);
    expect(answer['items']).toEqual(orderedIds(rows, 'score', 'desc').map((id) => onWire(rows.find((row) => row.accountId === id)!)));
    expect(answer['total']).toBe(rows.length);
    for (const accountId of ['zz-quiet', 'acct-12']) expect((await call(`/v1/accounts/${accountId}/users`, second.secretKey)).statusCode, accountId).toBe(404);
    // Same account id in both projects: the second project's members only.
    const members = (await walk(`/v1/accounts/acct-01/users?asOf=${yesterday}`, second.secretKey)).map((member) => member.userId);
    expect(members.sort()).toEqual(oracleAccountFacts(pair.second.events, { asOf: yesterday }).find((account) => account.accountId === 'acct-01')!.members);
  });

  // Last: it sends events of today.
  it('keeps paging stable when new events move accounts across the cursor', async () => {
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const today = now.toISOString().slice(0, 10);
    const before = (await get(`/v1/accounts?asOf=${today}&limit=500`))['items'] as Row[];
    const first = await get(`/v1/accounts?asOf=${today}&limit=4`);
    const [cursorAccount, tail] = [before[3]!, before.at(-1)!];
    // The cursor's own account gains a point; the last account jumps above the cursor.
    const features = ['Report Created', 'Dashboard Viewed', 'Export CSV', 'Invite Sent', 'Integration Connected', 'Alert Configured'];
    const newUsers = Math.ceil((cursorAccount.score + 1) / (20 * features.length));
    const more: OracleEvent[] = [
      { type: 'track', messageId: 'move-0', timestamp: now.toISOString(), userId: 'user-mover', event: 'Report Created', properties: { accountId: cursorAccount.accountId } },
    ];
    for (let u = 0; u < newUsers; u++) {
      for (const event of features) {
        for (let n = 0; n < 20; n++) more.push({ type: 'track', messageId: `move-${u}-${event}-${n}`, timestamp: now.toISOString(), userId: `user-jump-${u}`, event, properties: { accountId: tail.accountId } });
      }
    }
    await ingestEvents(t.app, t.project.writeKey, more);
    const rest = (await walk(`/v1/accounts?asOf=${today}&limit=4`, t.project.secretKey, first['nextCursor'])).map((item) => item.accountId);
    // Both moved accounts now sit before the cursor; every other account after it comes once.
    expect(rest).toEqual(before.slice(4, -1).map((row) => row.accountId));
    const after = await get(`/v1/accounts?asOf=${today}&limit=500`);
    expect(after['items'].findIndex((item: any) => item.accountId === tail.accountId)).toBeLessThan(4);
  });
});
