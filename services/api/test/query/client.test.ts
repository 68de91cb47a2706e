import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUptakeClient, UptakeApiError, type EventInput, type UptakeClient } from '@uptake/client';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// @uptake/client against the real service over real HTTP. A small world whose figures are worked
// out by hand in the comments (docs/api.md, Definitions), as of 2026-01-31 (score window 01-02 … 01-31).
const at = (day: number, hour = 12) => `2026-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const times = (n: number, event: () => EventInput): EventInput[] => Array.from({ length: n }, event);
const track = (userId: string, event: string, day: number, properties?: Record<string, unknown>): EventInput => ({
  type: 'track', userId, event, timestamp: at(day), ...(properties ? { properties } : {}),
});
const nps = (userId: string, score: number, day: number) => track(userId, '$nps_response', day, { score });

const world: EventInput[] = [
  // Accounts: A (4 seats) with u1 and u2; B (1 seat) with u3; u4 in none.
  { type: 'group', userId: 'u1', groupId: 'A', timestamp: at(1), traits: { name: 'Acme', seats: 4 } },
  { type: 'group', userId: 'u2', groupId: 'A', timestamp: at(1) },
  { type: 'group', userId: 'u3', groupId: 'B', timestamp: at(1), traits: { name: 'Beta', seats: 1 } },
  // u1: Report Created 3 + 2, Export 1 → 6.
  ...times(3, () => track('u1', 'Report Created', 10)),
  ...times(2, () => track('u1', 'Report Created', 11)),
  track('u1', 'Export', 12),
  // u2: 1.
  track('u2', 'Report Created', 20),
  // u3: 25 exports in one day, capped at 20 a day → 20.
  ...times(25, () => track('u3', 'Export', 15)),
  // u4: a page view only (active, score 0).
  { type: 'page', userId: 'u4', name: 'Home', timestamp: at(31) },
  // NPS: latest per user — u1 10 (its 2 of the 5th is older), u2 8, u3 3, u4 9.
  nps('u1', 2, 5),
  nps('u1', 10, 20),
  nps('u2', 8, 21),
  nps('u3', 3, 22),
  nps('u4', 9, 23),
];

describe('@uptake/client against the service', () => {
  let t: TestApp;
  let host: string;
  let client: UptakeClient;

  beforeAll(async () => {
    t = await createTestApp('pglite');
    host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = createUptakeClient({ host, secretKey: t.project.secretKey, writeKey: t.project.writeKey });
    expect(await client.sendBatch(world)).toEqual({ accepted: world.length, duplicates: 0, rejected: [] });
  });
  afterAll(async () => t?.close());

  it('sends more than 500 events in several requests, maps rejections back, and stores a retry once', async () => {
    // 600 identifies of the same four users (no activity, no new user), one of them invalid.
    const events: EventInput[] = Array.from({ length: 600 }, (_, index) => ({
      type: 'identify', messageId: `identify-${index}`, userId: `u${(index % 4) + 1}`, timestamp: at(1), traits: { role: 'dev' },
    }));
    events[550] = { type: 'identify', messageId: 'identify-550', timestamp: at(1) }; // neither userId nor anonymousId
    const first = await client.sendBatch(events);
    expect(first).toMatchObject({ accepted: 599, duplicates: 0, rejected: [{ index: 550, messageId: 'identify-550' }] });
    expect(first.rejected[0]!.errors[0]).toMatchObject({ path: 'userId' });
    const retry = await client.sendBatch(events);
    expect(retry).toMatchObject({ accepted: 0, duplicates: 599, rejected: [{ index: 550 }] });
  });

  it('reads a user score', async () => {
    const u1 = await client.userScore('u1', { asOf: '2026-01-31' });
    expect(u1).toEqual({
      userId: 'u1', score: 6, percentile: 67, model: { version: 1 }, window: { from: '2026-01-02', to: '2026-01-31' },
      breakdown: [
        { event: 'Export', label: 'Export', count: 1, weight: 1, points: 1 },
        { event: 'Report Created', label: 'Report Created', count: 5, weight: 1, points: 5 },
      ],
    });
    // 4 users seen; percentile = round(100 × lower ÷ 3): u3 (20) 100, u1 (6) 67, u2 (1) 33, u4 (0) 0.
    expect(await client.userScore('u3', { asOf: '2026-01-31' })).toMatchObject({ score: 20, percentile: 100 });
    expect(await client.userScore('u4', { asOf: '2026-01-31' })).toMatchObject({ score: 0, percentile: 0, breakdown: [] });
  });

  it('reads an account score', async () => {
    // A: u1 6 + u2 1 = 7, both active, 3.5 each; B: u3 20. Two accounts: B 100, A 0.
    expect(await client.accountScore('A', { asOf: '2026-01-31' })).toMatchObject({
      accountId: 'A', score: 7, percentile: 0, activeUsers: 2, perActiveUser: 3.5,
      topUsers: [{ userId: 'u1', score: 6 }, { userId: 'u2', score: 1 }],
    });
    expect(await client.accountScore('B', { asOf: '2026-01-31' })).toMatchObject({ score: 20, percentile: 100, activeUsers: 1, perActiveUser: 20 });
  });

  it('pages through the ranked users and accounts', async () => {
    const expected = [
      { userId: 'u3', score: 20, percentile: 100 },
      { userId: 'u1', score: 6, percentile: 67 },
      { userId: 'u2', score: 1, percentile: 33 },
      { userId: 'u4', score: 0, percentile: 0 },
    ];
    const first = await client.userScores({ asOf: '2026-01-31', limit: 3 });
    expect(first.items).toEqual(expected.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = [];
    for await (const user of client.allUserScores({ asOf: '2026-01-31', limit: 1 })) all.push(user);
    expect(all).toEqual(expected);
    const ascending = [];
    for await (const account of client.allAccountScores({ asOf: '2026-01-31', order: 'asc', limit: 1 })) ascending.push(account);
    expect(ascending).toEqual([{ accountId: 'A', score: 7, percentile: 0 }, { accountId: 'B', score: 20, percentile: 100 }]);
  });

  it('reads active users per day', async () => {
    // 30th: nobody active; WAU 24–30 none; MAU 01–30: u1, u2, u3. 31st: u4; MAU 02–31: all four.
    expect(await client.activeMetrics({ from: '2026-01-30', to: '2026-01-31' })).toEqual({
      days: [
        { date: '2026-01-30', dau: 0, wau: 0, mau: 3, stickiness: 0 },
        { date: '2026-01-31', dau: 1, wau: 1, mau: 4, stickiness: 0.25 },
      ],
    });
    // Account A on the 20th: u2 that day and that week; u1 and u2 in 30 days.
    expect(await client.activeMetrics({ from: '2026-01-20', to: '2026-01-20', accountId: 'A' })).toEqual({
      days: [{ date: '2026-01-20', dau: 1, wau: 1, mau: 2, stickiness: 0.5 }],
    });
  });

  it('reads licence utilisation', async () => {
    // A: u1 and u2 active in 30 days ÷ 4 seats; nobody active in the 30 days to 01-01 → change unknown.
    expect(await client.utilisation('A', { asOf: '2026-01-31' })).toEqual({
      accountId: 'A', asOf: '2026-01-31', seats: 4, activeUsers30d: 2, utilisation: 0.5, utilisation30dAgo: 0, change: null,
    });
    expect(await client.utilisation('B', { asOf: '2026-01-31' })).toMatchObject({ seats: 1, activeUsers30d: 1, utilisation: 1 });
  });

  it('reads NPS', async () => {
    // Project: promoters u1, u4; passive u2; detractor u3 → round(100 × (2 − 1) ÷ 4) = 25.
    const project = await client.nps({ from: '2026-01-01', to: '2026-01-31' });
    expect(project).toMatchObject({ from: '2026-01-01', to: '2026-01-31', nps: 25, responses: 4, promoters: 2, passives: 1, detractors: 1 });
    expect(project.trend).toMatchObject({ previous: { responses: 0, nps: null }, change: null });
    // Account A: u1 promoter, u2 passive → 50.
    expect(await client.nps({ from: '2026-01-01', to: '2026-01-31', accountId: 'A' })).toMatchObject({ nps: 50, responses: 2, promoters: 1, passives: 1, detractors: 0 });
  });

  it('creates a shadow score model and reads scores with it', async () => {
    const model = await client.createScoreModel({ features: { Export: { weight: 5, label: 'Exports' } }, activate: false });
    expect(model).toMatchObject({ version: 2, status: 'shadow', windowDays: 30, dailyCap: 20, features: { Export: { weight: 5, label: 'Exports' } } });
    const { models } = await client.scoreModels();
    expect(models.map(({ version, status }) => ({ version, status })).sort((a, b) => a.version - b.version)).toEqual([
      { version: 1, status: 'active' },
      { version: 2, status: 'shadow' },
    ]);
    // Only exports count, 5 points each: u3 20 × 5, u1 1 × 5.
    expect(await client.userScore('u3', { asOf: '2026-01-31', model: 2 })).toMatchObject({ score: 100, model: { version: 2 } });
    expect(await client.userScore('u1', { asOf: '2026-01-31', model: 2 })).toMatchObject({ score: 5 });
    expect(await client.userScore('u1', { asOf: '2026-01-31' })).toMatchObject({ score: 6, model: { version: 1 } });
  });

  it('reads built-in segments, and makes, reads, changes and deletes a custom one', async () => {
    const list = await client.segments();
    expect(list.segments.map((segment) => segment.key)).toEqual(expect.arrayContaining(['low-utilization', 'expansion-ready', 'nps-promoters']));
    expect(list.thresholds).toMatchObject({ lowUtilisation: 0.6, expansionUtilisation: 0.9 });

    // Latest NPS responses: u1 10 and u4 9 promote, u3 (3) detracts.
    const promoters = await client.segmentMembers('nps-promoters', { asOf: '2026-01-31' });
    expect(promoters).toMatchObject({ segment: { key: 'nps-promoters', of: 'users', builtIn: true }, asOf: '2026-01-31', nextCursor: null });
    expect(promoters.items.map((member) => ('userId' in member ? member.userId : member.accountId))).toEqual(['u1', 'u4']);
    // Utilisation: A 2 of 4 seats (0.5 < 0.6: low), B 1 of 1 (1 ≥ 0.9: expansion-ready).
    const a = await client.accountSegments('A', { asOf: '2026-01-31' });
    expect(a).toMatchObject({ id: 'A', of: 'accounts', facts: { accountId: 'A', seats: 4, utilisation: 0.5 } });
    expect(a.segments.map((segment) => segment.key)).toContain('low-utilization');
    expect(a.segments.map((segment) => segment.key)).not.toContain('expansion-ready');
    const b = await client.accountSegments('B', { asOf: '2026-01-31' });
    expect(b.segments.map((segment) => segment.key)).toContain('expansion-ready');
    expect(b.segments.map((segment) => segment.key)).not.toContain('low-utilization');

    // A custom segment of users with a score of at least 6: u1 (6) and u3 (20).
    const created = await client.createSegment({ key: 'power-users', name: 'Power users', of: 'users', rule: { field: 'score', op: 'gte', value: 6 } });
    expect(created).toMatchObject({ key: 'power-users', name: 'Power users', of: 'users', builtIn: false });
    const members = [];
    for await (const member of client.allSegmentMembers('power-users', { asOf: '2026-01-31', limit: 1 })) members.push(member);
    expect(members).toMatchObject([{ userId: 'u1', score: 6 }, { userId: 'u3', score: 20 }]);
    expect((await client.userSegments('u3', { asOf: '2026-01-31' })).segments).toContainEqual({ key: 'power-users', name: 'Power users', of: 'users', builtIn: false });
    expect((await client.userSegments('u2', { asOf: '2026-01-31' })).segments.map((segment) => segment.key)).not.toContain('power-users');

    // Raised to 10: u3 only.
    await client.updateSegment('power-users', { name: 'Power users', of: 'users', rule: { all: [{ field: 'score', op: 'gte', value: 10 }] } });
    expect((await client.segmentMembers('power-users', { asOf: '2026-01-31' })).items).toMatchObject([{ userId: 'u3' }]);
    expect(await client.deleteSegment('power-users')).toBeUndefined();
    await expect(client.segmentMembers('power-users')).rejects.toMatchObject({ status: 404, code: 'segment_not_found' });
  });

  it('changes the built-in thresholds', async () => {
    const changed = await client.updateSegmentSettings({ thresholds: { lowUtilisation: 0.4 } });
    expect(changed).toMatchObject({ thresholds: { lowUtilisation: 0.4 }, overrides: { lowUtilisation: 0.4 }, defaults: { lowUtilisation: 0.6 } });
    expect(await client.segmentSettings()).toEqual(changed);
    // A's 0.5 is no longer below the threshold.
    expect((await client.accountSegments('A', { asOf: '2026-01-31' })).segments.map((segment) => segment.key)).not.toContain('low-utilization');
    expect(await client.updateSegmentSettings({ thresholds: {} })).toMatchObject({ overrides: {}, thresholds: { lowUtilisation: 0.6 } });
  });

  it('reads and changes the project settings and rotates a key', async () => {
    const before = await client.project();
    expect(before).toMatchObject({ projectId: t.project.projectId, allowedOrigins: [], requireUserHash: false });
    expect(await client.updateProject({ allowedOrigins: ['https://app.acme.io'] })).toMatchObject({ allowedOrigins: ['https://app.acme.io'], requireUserHash: false });
    await expect(client.updateProject({ allowedOrigins: ['app.acme.io'] })).rejects.toMatchObject({ status: 400, path: 'allowedOrigins[0]' });
    expect((await client.updateProject({ allowedOrigins: [] })).allowedOrigins).toEqual([]);
    const rotation = await client.rotateKey({ kind: 'identity', overlapHours: 1 });
    expect(rotation).toMatchObject({ kind: 'identity', key: expect.stringMatching(/^is_/) });
    expect((await client.project()).keys.identity.previous).toEqual([{ retiredAt: expect.any(String), expiresAt: rotation.previousKeyExpiresAt }]);
  });

  it('reads the accounts table and an account’s users', async () => {
    // As of 01-31: B 20 (100th percentile), A 7; utilisation B 1 of 1, A 2 of 4, none active in the
    // 30 days to 01-01 (change unknown); NPS A: u1 10, u2 8 → 50, B: u3 3 → −100; both first seen
    // 01-01 = 31 − 30 days (post-onboarding); B top and expansion-ready, A low-utilization.
    const b = {
      accountId: 'B', name: 'Beta', score: 20, percentile: 100, seats: 1, activeUsers30d: 1, utilisation: 1, utilisationChange: null,
      nps: -100, npsResponses: 1, lastActive: '2026-01-15', memberCount: 1, segments: ['expansion-ready', 'post-onboarding', 'top'],
      health: 75, healthBand: 'green',
    };
    const a = {
      accountId: 'A', name: 'Acme', score: 7, percentile: 0, seats: 4, activeUsers30d: 2, utilisation: 0.5, utilisationChange: null,
      nps: 50, npsResponses: 2, lastActive: '2026-01-20', memberCount: 2, segments: ['low-utilization', 'post-onboarding'],
      health: 57, healthBand: 'yellow',
    };
    expect(await client.accounts({ asOf: '2026-01-31' })).toEqual({ model: { version: 1 }, asOf: '2026-01-31', healthModel: { version: 1 }, total: 2, items: [b, a], nextCursor: null });
    expect(await client.accounts({ asOf: '2026-01-31', sort: 'health', order: 'asc', band: 'yellow' })).toMatchObject({ total: 1, items: [{ accountId: 'A' }] });
    // Health, its series and the explained change through the typed methods.
    const health = await client.accountHealth('B', { asOf: '2026-01-31' });
    expect(health).toMatchObject({ accountId: 'B', score: 75, band: 'green', healthModel: { version: 1 } });
    expect(health.components.reduce((sum, component) => sum + component.contribution, 0)).toBe(75);
    expect((await client.accountHealthSeries('B', { from: '2026-01-30', to: '2026-01-31' })).days.map((day) => day.date)).toEqual(['2026-01-30', '2026-01-31']);
    expect((await client.healthModels()).models.map((model) => model.version)).toEqual([1]);
    const changes = await client.accountScoreChanges('B', { from: '2026-01-01', to: '2026-01-31' });
    expect(changes.byFeature.reduce((sum, feature) => sum + feature.change, 0)).toBe(changes.change);
    expect((await client.userScoreChanges('u1', { from: '2026-01-01', to: '2026-01-31' })).userId).toBe('u1');
    await expect(client.accountHealth('B', { version: 9 })).rejects.toMatchObject({ status: 400, path: 'version' });
    expect(await client.accounts({ asOf: '2026-01-31', q: 'BET' })).toMatchObject({ total: 1, items: [{ accountId: 'B' }] });
    const byName = [];
    for await (const account of client.allAccounts({ asOf: '2026-01-31', sort: 'name', order: 'asc', limit: 1 })) byName.push(account);
    expect(byName).toEqual([a, b]);

    // A's users by score: u1 6 (67th percentile project-wide), u2 1; no name or email traits.
    const u1 = { userId: 'u1', name: null, email: null, score: 6, percentile: 67, firstSeen: '2026-01-01', lastActive: '2026-01-12', nps: 10, isChampion: false };
    const u2 = { userId: 'u2', name: null, email: null, score: 1, percentile: 33, firstSeen: '2026-01-01', lastActive: '2026-01-20', nps: 8, isChampion: false };
    expect(await client.accountUsers('A', { asOf: '2026-01-31' })).toEqual({ accountId: 'A', model: { version: 1 }, asOf: '2026-01-31', items: [u1, u2], nextCursor: null });
    const users = [];
    for await (const user of client.allAccountUsers('A', { asOf: '2026-01-31', limit: 1 })) users.push(user);
    expect(users).toEqual([u1, u2]);
  });

  describe('errors', () => {
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.fail('expected an UptakeApiError'),
        (error: unknown) => {
          expect(error).toBeInstanceOf(UptakeApiError);
          return error as UptakeApiError;
        },
      );

    it('401 when the write key is used as the secret key', async () => {
      const wrong = createUptakeClient({ host, secretKey: t.project.writeKey });
      expect(await failure(wrong.userScore('u1'))).toMatchObject({ status: 401, code: 'write_key_not_allowed', message: expect.stringContaining('secret key') });
    });

    it('401 for an unknown write key', async () => {
      const wrong = createUptakeClient({ host, writeKey: 'wk_nobody' });
      expect(await failure(wrong.track({ userId: 'u1', event: 'x' }))).toMatchObject({ status: 401, code: 'invalid_write_key' });
    });

    it('404 for an unknown user or account', async () => {
      expect(await failure(client.userScore('nobody'))).toMatchObject({ status: 404, code: 'user_not_found', path: undefined });
      expect(await failure(client.utilisation('nowhere'))).toMatchObject({ status: 404, code: 'account_not_found' });
      expect(await failure(client.accountUsers('nowhere'))).toMatchObject({ status: 404, code: 'account_not_found' });
    });

    it('400 with the parameter’s path for a bad asOf', async () => {
      expect(await failure(client.userScore('u1', { asOf: '31/01/2026' }))).toMatchObject({
        status: 400, code: 'invalid_request', path: 'asOf', message: expect.stringContaining('asOf'),
      });
      expect(await failure(client.userScores({ cursor: 'not-a-cursor' }))).toMatchObject({ status: 400, path: 'cursor' });
      expect(await failure(client.accounts({ cursor: 'not-a-cursor' }))).toMatchObject({ status: 400, path: 'cursor' });
      expect(await failure(client.accountUsers('A', { limit: 501 }))).toMatchObject({ status: 400, path: 'limit' });
    });

    it('400 with the path inside a bad segment rule', async () => {
      const bad = client.createSegment({ key: 'broken', name: 'Broken', of: 'users', rule: { any: [{ field: 'score', op: 'gte', value: true }] } });
      expect(await failure(bad)).toMatchObject({ status: 400, code: 'invalid_request', path: 'rule.any[0].value' });
    });
  });
});

describe('@uptake/client on a rate-limited service', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('429 carries Retry-After as retryAfter', async () => {
    t = await createTestApp('pglite', { rateLimitPerSecond: 1, rateLimitBurst: 1 });
    const host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const client = createUptakeClient({ host, writeKey: t.project.writeKey });
    expect(await client.track({ userId: 'u1', event: 'x' })).toMatchObject({ accepted: 1 });
    const error = await client.track({ userId: 'u1', event: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UptakeApiError);
    // One token a second, none left: one second to wait.
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 1 });
  });
});
