import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { FEATURES, generateProjectPair } from '../support/generate-data.ts';
import { ingestProjects } from '../support/ingest.ts';
import {
  addDays,
  BUILT_IN_SEGMENTS,
  oracleAccountFacts,
  oracleFeatureUnusedKeys,
  oracleSegmentMembers,
  oracleSegmentsOf,
  oracleSnapshot,
  oracleUserFacts,
  npsCategory,
  type BuiltInSegmentKey,
  type OracleEvent,
  type SegmentThresholds,
} from '../support/oracle.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';

// Segment membership compared with the independent oracle on generated data, several days.
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
const pair = generateProjectPair({ seed: 31, asOf: yesterday, days: 75, accounts: 12 });
const events = pair.first.events;
const asOfDays = [yesterday, addDays(yesterday, -9), addDays(yesterday, -31)];
const builtInKeys: BuiltInSegmentKey[] = Object.keys(BUILT_IN_SEGMENTS) as BuiltInSegmentKey[];
// A shadow score model naming some features: feature-unused exists only for those (docs/api.md).
const MODEL = { version: 2, features: Object.fromEntries([...FEATURES, 'Never Sent'].map((feature) => [feature, { weight: 1, label: feature }])) };
const featureUnusedKeys = oracleFeatureUnusedKeys(MODEL);

const memo = new Map<string, string[]>();
const oracleMembers = (data: readonly OracleEvent[], key: BuiltInSegmentKey, asOf: string, thresholds?: Partial<SegmentThresholds>) => {
  const id = `${data === events ? 1 : 2}|${key}|${asOf}|${JSON.stringify(thresholds ?? {})}`;
  if (!memo.has(id)) memo.set(id, oracleSegmentMembers(data, key, { asOf, ...(thresholds ? { thresholds } : {}) }));
  return memo.get(id)!;
};

describe.each(testDatabaseKinds)('segments on %s', (kind) => {
  let t: TestApp;
  let second: ProjectKeys;
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, key = t.project.secretKey) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const get = async (url: string, key = t.project.secretKey) => {
    const response = await call('GET', url, undefined, key);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };
  /** Every member id, following cursors. */
  const memberIds = async (key: string, asOf: string, secretKey = t.project.secretKey, limit = 1000, model?: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/v1/segments/${encodeURIComponent(key)}/members?asOf=${asOf}&limit=${limit}${model ? `&model=${model}` : ''}${cursor ? `&cursor=${cursor}` : ''}`, secretKey);
      for (const item of page['items']) ids.push(item.accountId ?? item.userId);
      cursor = page['nextCursor'];
    } while (cursor);
    return ids;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    second = await t.createProject('Second');
    await ingestProjects(t.app, [
      { writeKey: t.project.writeKey, events: pair.first.events },
      { writeKey: second.writeKey, events: pair.second.events },
    ]);
    const shadow = await call('POST', '/v1/score-models', { features: MODEL.features, activate: false });
    expect(shadow.json(), shadow.body).toMatchObject({ version: MODEL.version, status: 'shadow' });
  });
  afterAll(async () => t?.close());

  it('lists every built-in segment with its kind, and the thresholds in effect', async () => {
    const list = await get('/v1/segments');
    const builtIns = list['segments'].filter((segment: any) => segment.builtIn);
    for (const [key, of] of Object.entries(BUILT_IN_SEGMENTS)) expect(builtIns.find((segment: any) => segment.key === key)?.of, key).toBe(of);
    // The active model (v1) names no feature: no feature-unused segment, not even as a pattern.
    expect(builtIns.filter((segment: any) => segment.key.startsWith('feature-unused'))).toEqual([]);
    expect(list['thresholds']).toMatchObject({ lowUtilisation: 0.6, topShare: 0.1, npsWindowDays: 90 });
    // A project whose active model names features lists one feature-unused segment per feature.
    const other = await t.createProject('Listing');
    const made = await call('POST', '/v1/score-models', { features: { 'Export CSV': { weight: 2, label: 'Exports' }, 'Alert Set': { weight: 1, label: 'Alerts' } } }, other.secretKey);
    expect(made.statusCode, made.body).toBe(201);
    const listed = (await get('/v1/segments', other.secretKey))['segments'].filter((segment: any) => segment.key.startsWith('feature-unused'));
    expect(listed.map((segment: any) => [segment.key, segment.of, segment.builtIn])).toEqual([
      ['feature-unused:Alert Set', 'users', true],
      ['feature-unused:Export CSV', 'users', true],
    ]);
  });

  it('has feature-unused only for the features the score model names', async () => {
    for (const asOf of asOfDays) {
      for (const key of featureUnusedKeys) expect(await memberIds(key, asOf, t.project.secretKey, 1000, MODEL.version), `${key} as of ${asOf}`).toEqual(oracleMembers(events, key, asOf));
    }
    expect((await memberIds('feature-unused:Never Sent', yesterday, t.project.secretKey, 1000, MODEL.version)).length).toBeGreaterThan(0);
    // Under the active v1 model, and for an event the model does not name: no such segment.
    for (const url of [`/v1/segments/${encodeURIComponent(`feature-unused:${FEATURES[0]}`)}/members`, `/v1/segments/${encodeURIComponent('feature-unused:Not A Feature')}/members?model=${MODEL.version}`]) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: 'segment_not_found', message: expect.stringContaining('feature-unused exists only for the features score model version') });
    }
  });

  it('puts the same members in every built-in segment as the oracle, for several days', async () => {
    let nonEmpty = 0;
    for (const asOf of asOfDays) {
      for (const key of builtInKeys) {
        const expected = oracleMembers(events, key, asOf);
        if (expected.length > 0) nonEmpty++;
        expect(await memberIds(key, asOf), `${key} as of ${asOf}`).toEqual(expected);
      }
    }
    // The data exercises the rules: most segments have members on some day.
    expect(nonEmpty).toBeGreaterThan(builtInKeys.length);
  });

  it('gives each member the facts the oracle computes', async () => {
    const asOf = yesterday;
    const accounts = oracleAccountFacts(events, { asOf });
    const page = await get(`/v1/segments/post-onboarding/members?asOf=${asOf}&limit=1000`);
    for (const item of page['items']) {
      const want = accounts.find((account) => account.accountId === item.accountId)!;
      expect(item).toMatchObject({ score: want.score, percentile: want.percentile, seats: want.seats, activeUsers30d: want.activeUsers30d, firstSeen: want.firstSeen });
      expect(item.quietChampions).toEqual(want.quietChampions);
      for (const field of ['utilisation', 'utilisation30dAgo'] as const) {
        if (want[field] === null) expect(item[field]).toBeNull();
        else expect(item[field]).toBeCloseTo(want[field]!, 9);
      }
    }
    const users = oracleUserFacts(events, { asOf });
    const dormant = await get(`/v1/segments/new-users/members?asOf=${asOf}`);
    for (const item of dormant['items']) {
      const want = users.find((user) => user.userId === item.userId)!;
      expect(item).toMatchObject({ firstSeen: want.firstSeen, lastActive: want.lastActive, score: want.score, percentile: want.percentile, nps: want.latestNps, accounts: want.accounts });
    }
  });

  it('pages members with a cursor', async () => {
    const all = await memberIds('post-onboarding', yesterday);
    expect(all.length).toBeGreaterThan(3);
    expect(await memberIds('post-onboarding', yesterday, t.project.secretKey, 2)).toEqual(all);
    expect((await call('GET', '/v1/segments/post-onboarding/members?cursor=nope')).statusCode).toBe(400);
  });

  it('names the segments one user or account is in, as the oracle does', async () => {
    for (const asOf of [yesterday, addDays(yesterday, -31)]) {
      // The segments of an id, from the oracle's member lists (one oracle pass per key, not per id);
      // users under the shadow model, whose features each have a feature-unused segment.
      const keysOf = (of: 'users' | 'accounts', id: string) => {
        const keys = (Object.keys(BUILT_IN_SEGMENTS) as Array<keyof typeof BUILT_IN_SEGMENTS>).filter((key) => BUILT_IN_SEGMENTS[key] === of) as BuiltInSegmentKey[];
        if (of === 'users') keys.push(...featureUnusedKeys);
        return keys.filter((key) => oracleMembers(events, key, asOf).includes(id)).sort();
      };
      const accounts = oracleAccountFacts(events, { asOf }).map((account) => account.accountId);
      for (const accountId of accounts) {
        const got = await get(`/v1/accounts/${accountId}/segments?asOf=${asOf}`);
        expect(got['segments'].map((segment: any) => segment.key), `${accountId} as of ${asOf}`).toEqual(keysOf('accounts', accountId));
      }
      const users = oracleUserFacts(events, { asOf }).map((user) => user.userId);
      for (const userId of users) {
        const got = await get(`/v1/users/${userId}/segments?asOf=${asOf}&model=${MODEL.version}`);
        expect(got['segments'].map((segment: any) => segment.key), `${userId} as of ${asOf}`).toEqual(keysOf('users', userId));
      }
      // And straight from oracleSegmentsOf for a few.
      for (const accountId of accounts.slice(0, 2)) {
        expect((await get(`/v1/accounts/${accountId}/segments?asOf=${asOf}`))['segments'].map((segment: any) => segment.key)).toEqual(oracleSegmentsOf(events, 'accounts', accountId, { asOf }));
      }
      for (const userId of users.slice(0, 2)) {
        // Under the active v1 model: no feature-unused segment at all.
        expect((await get(`/v1/users/${userId}/segments?asOf=${asOf}`))['segments'].map((segment: any) => segment.key)).toEqual(oracleSegmentsOf(events, 'users', userId, { asOf }));
      }
    }
    expect((await call('GET', '/v1/users/nobody/segments')).statusCode).toBe(404);
  });

  it('uses the project’s thresholds, and reads and replaces them', async () => {
    const thresholds = { lowUtilisation: 0.8, topShare: 0.3, dormantQuietDays: 10, usageDropPeriodDays: 20, weeklyActiveWeeks: 2 };
    const put = await call('PUT', '/v1/segments/settings', { thresholds });
    expect(put.statusCode, put.body).toBe(200);
    expect((await get('/v1/segments/settings'))['overrides']).toEqual(thresholds);
    for (const key of ['low-utilization', 'top', 'dormant', 'usage-drop', 'weekly-active'] as const) {
      expect(await memberIds(key, yesterday), key).toEqual(oracleMembers(events, key, yesterday, thresholds));
    }
    const bad = await call('PUT', '/v1/segments/settings', { thresholds: { topShare: 2 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().path).toBe('thresholds.topShare');
    expect((await call('PUT', '/v1/segments/settings', { thresholds: { nope: 1 } })).statusCode).toBe(400);
    expect((await call('PUT', '/v1/segments/settings', { thresholds: {} })).statusCode).toBe(200);
    expect((await get('/v1/segments/settings'))['thresholds']).toMatchObject({ lowUtilisation: 0.6, topShare: 0.1 });
  });

  it('computes custom segments as a plain filter over the oracle’s facts does', async () => {
    const accountRule = {
      any: [
        { all: [{ field: 'utilisation', op: 'lt', value: 0.9 }, { field: 'trait', name: 'plan', op: 'in', value: ['growth', 'enterprise'] }] },
        { field: 'percentile', op: 'gte', value: 80 },
        { all: [{ field: 'seats', op: 'exists', value: false }, { not: { field: 'daysSinceLastActive', op: 'gt', value: 3 } }] },
      ],
    };
    const userRule = {
      all: [
        { field: 'daysSinceLastActive', op: 'lte', value: 20 },
        { any: [{ field: 'npsCategory', op: 'in', value: ['promoter', 'passive'] }, { field: 'featureCount', event: 'Export CSV', days: 14, op: 'gte', value: 3 }] },
        { field: 'trait', name: 'role', op: 'ne', value: 'viewer' },
      ],
    };
    for (const [key, of, rule] of [['healthy-paid', 'accounts', accountRule], ['engaged-users', 'users', userRule]] as const) {
      const created = await call('POST', '/v1/segments', { key, name: key, of, rule });
      expect(created.statusCode, created.body).toBe(201);
    }
    const daysSince = (asOf: string, day: string | null) => (day === null ? null : (Date.parse(asOf) - Date.parse(day)) / 86_400_000);
    for (const asOf of asOfDays) {
      const accounts = oracleAccountFacts(events, { asOf });
      const lastActiveOf = new Map<string, string>();
      const exportCsv = new Map<string, number>();
      for (const event of oracleSnapshot(events, asOf).events) {
        if (event.isActivity) for (const account of event.accounts) if ((lastActiveOf.get(account) ?? '') < event.day) lastActiveOf.set(account, event.day);
        if (event.user && event.source.type === 'track' && event.source.event === 'Export CSV' && event.day >= addDays(asOf, -13)) exportCsv.set(event.user, (exportCsv.get(event.user) ?? 0) + 1);
      }
      const expectedAccounts = accounts
        .filter(
          (a) =>
            (a.utilisation !== null && a.utilisation < 0.9 && ['growth', 'enterprise'].includes(a.traits['plan'] as string)) ||
            a.percentile >= 80 ||
            (a.seats === null && !((daysSince(asOf, lastActiveOf.get(a.accountId) ?? null) ?? -1) > 3)),
        )
        .map((a) => a.accountId);
      const expectedUsers = oracleUserFacts(events, { asOf })
        .filter((u) => {
          const since = daysSince(asOf, u.lastActive);
          const category = u.latestNps === null ? null : npsCategory(u.latestNps);
          return since !== null && since <= 20 && (category === 'promoter' || category === 'passive' || (exportCsv.get(u.userId) ?? 0) >= 3) && u.traits['role'] !== undefined && u.traits['role'] !== 'viewer';
        })
        .map((u) => u.userId);
      expect(expectedAccounts.length + expectedUsers.length).toBeGreaterThan(0);
      expect(await memberIds('healthy-paid', asOf), `healthy-paid as of ${asOf}`).toEqual(expectedAccounts);
      expect(await memberIds('engaged-users', asOf), `engaged-users as of ${asOf}`).toEqual(expectedUsers);
    }
    const some = (await memberIds('engaged-users', yesterday))[0];
    if (some) expect((await get(`/v1/users/${some}/segments?asOf=${yesterday}`))['segments'].map((s: any) => s.key)).toContain('engaged-users');
  });

  it('creates, lists, replaces and deletes custom segments, with clear errors', async () => {
    const rule = { field: 'score', op: 'gte', value: 10 };
    expect((await call('POST', '/v1/segments', { key: 'busy', name: 'Busy', description: 'score ≥ 10', of: 'users', rule })).statusCode).toBe(201);
    const listed = (await get('/v1/segments'))['segments'].find((segment: any) => segment.key === 'busy');
    expect(listed).toMatchObject({ key: 'busy', name: 'Busy', description: 'score ≥ 10', of: 'users', builtIn: false, rule });
    expect((await call('POST', '/v1/segments', { key: 'busy', name: 'Again', of: 'users', rule })).statusCode).toBe(409);
    const replaced = await call('PUT', '/v1/segments/busy', { name: 'Very busy', of: 'users', rule: { field: 'featureCount', event: 'Report Created', op: 'gt', value: 5 } });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json().rule).toEqual({ field: 'featureCount', event: 'Report Created', days: 30, op: 'gt', value: 5 });
    expect((await call('PUT', '/v1/segments/missing', { name: 'x', of: 'users', rule })).statusCode).toBe(404);
    expect((await call('DELETE', '/v1/segments/busy')).statusCode).toBe(204);
    expect((await call('DELETE', '/v1/segments/busy')).statusCode).toBe(404);
    expect((await call('GET', '/v1/segments/busy/members')).statusCode).toBe(404);

    for (const key of ['top', 'dormant', 'feature-unused:Export CSV']) {
      for (const response of [
        await call('PUT', `/v1/segments/${encodeURIComponent(key)}`, { name: 'x', of: 'users', rule }),
        await call('DELETE', `/v1/segments/${encodeURIComponent(key)}`),
      ]) {
        expect(response.statusCode, key).toBe(409);
        expect(response.json().message).toMatch(/built in and read-only/);
      }
    }
    const builtInKey = await call('POST', '/v1/segments', { key: 'top', name: 'x', of: 'accounts', rule });
    expect(builtInKey.statusCode).toBe(409);

    const bad = async (body: unknown, path: string) => {
      const response = await call('POST', '/v1/segments', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().path, response.body).toBe(path);
    };
    const base = { key: 'bad', name: 'Bad', of: 'accounts' };
    await bad({ ...base, rule: { all: [rule, { any: [{ field: 'score', op: 'between', value: 1 }] }] } }, 'rule.all[1].any[0].op');
    await bad({ ...base, rule: { all: [{ field: 'accountCount', op: 'gt', value: 1 }] } }, 'rule.all[0].field');
    await bad({ ...base, rule: { field: 'mystery', op: 'eq', value: 1 } }, 'rule.field');
    await bad({ ...base, rule: { any: [] } }, 'rule.any');
    await bad({ ...base, rule: { not: { field: 'score', op: 'gt', value: 'high' } } }, 'rule.not.value');
    await bad({ ...base, rule: { field: 'trait', name: 'plan', op: 'in', value: 'growth' } }, 'rule.value');
    await bad({ ...base, key: 'Not OK!', rule }, 'key');
    await bad({ ...base, of: 'teams', rule }, 'of');
    await bad({ ...base, rule: 'score > 3' }, 'rule');
  });

  it('refuses a write key and a missing key', async () => {
    for (const [method, url] of [['GET', '/v1/segments'], ['GET', '/v1/segments/top/members'], ['GET', '/v1/users/x/segments'], ['POST', '/v1/segments'], ['PUT', '/v1/segments/settings']] as const) {
      const withWriteKey = await call(method, url, method === 'GET' ? undefined : {}, t.project.writeKey);
      expect(withWriteKey.statusCode, `${method} ${url}`).toBe(401);
      expect(withWriteKey.json().error).toBe('write_key_not_allowed');
      const basic = await t.app.inject({ method, url, headers: { authorization: basicAuth(t.project.writeKey) } });
      expect(basic.statusCode).toBe(401);
    }
  });

  it('never shows one project the other project’s members or segments', async () => {
    for (const key of ['post-onboarding', 'top', 'new-users', 'dormant', 'nps-detractors'] as const) {
      expect(await memberIds(key, yesterday, second.secretKey), key).toEqual(oracleMembers(pair.second.events, key, yesterday));
      expect(await memberIds(key, yesterday), key).toEqual(oracleMembers(events, key, yesterday));
    }
    const mine = await call('POST', '/v1/segments', { key: 'only-mine', name: 'Mine', of: 'accounts', rule: { field: 'score', op: 'gte', value: 0 } });
    expect(mine.statusCode).toBe(201);
    expect((await call('GET', '/v1/segments/only-mine/members', undefined, second.secretKey)).statusCode).toBe(404);
    expect((await get('/v1/segments', second.secretKey))['segments'].some((segment: any) => segment.key === 'only-mine')).toBe(false);
  });
});
