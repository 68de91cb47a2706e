import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHash } from '../../src/projects/keys.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// Small worlds dated relative to today (UTC), so "first seen 60 days ago" and "the last 30 days"
// mean what they say whenever the test runs. Every expected figure is worked out by hand below.
const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number, hour = 12) => new Date(todayStart - days * DAY_MS + hour * 3_600_000).toISOString();
const dayOf = (days: number) => new Date(todayStart - days * DAY_MS).toISOString().slice(0, 10);

let sequence = 0;
const message = () => `w-${++sequence}`;
const track = (userId: string, event: string, days: number, extra: Record<string, unknown> = {}) => ({
  type: 'track', messageId: message(), userId, event, timestamp: daysAgo(days), ...extra,
});
const times = (n: number, make: () => unknown) => Array.from({ length: n }, make);
// As the SDK sends it once identify was given the user's hash: only such a group call opens the
// account in widgets (a verified membership, docs/widgets.md).
const group = (project: ProjectKeys, userId: string, groupId: string, days: number, traits: Record<string, unknown> = {}) => ({
  type: 'group', messageId: message(), userId, groupId, timestamp: daysAgo(days), traits, context: { userHash: userHash(project.identitySecret, userId) },
});

describe.each(testDatabaseKinds)('widget API on %s', (kind) => {
  let t: TestApp;
  let other: ProjectKeys;
  let guarded: ProjectKeys;

  const send = async (batch: unknown[], writeKey = t.project.writeKey) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${writeKey}` }, payload: { batch } });
    expect(response.statusCode).toBe(200);
    expect(response.json().rejected).toEqual([]);
  };
  const widget = async (path: string, userId: string, options: { project?: ProjectKeys; hashOf?: string; query?: string; headers?: Record<string, string> } = {}) => {
    const project = options.project ?? t.project;
    const hash = userHash(project.identitySecret, options.hashOf ?? userId);
    const response = await t.app.inject({
      method: 'GET',
      url: `/v1/widgets/${path}?userId=${encodeURIComponent(userId)}&userHash=${hash}${options.query ?? ''}`,
      headers: { authorization: `Bearer ${project.writeKey}`, ...options.headers },
    });
    return { status: response.statusCode, headers: response.headers, body: response.json() as Record<string, any> };
  };
  const nps = (userId: string, project?: ProjectKeys) => widget('nps', userId, { ...(project ? { project } : {}) });
  const putSettings = async (body: unknown, project = t.project) =>
    t.app.inject({ method: 'PUT', url: '/v1/widgets/settings', headers: { authorization: `Bearer ${project.secretKey}` }, payload: body as object });

  beforeAll(async () => {
    t = await createTestApp(kind);
    other = await t.createProject('Other');
    guarded = await t.createProject('Guarded', ['https://app.example.com']);
    await send([
      // Eligible: seen 60 days ago, no account (old enough on their own).
      track('veteran', 'Report Created', 60),
      track('veteran', 'Report Created', 2),
      // Answered 5 days ago; dismissed 3 days ago; answered 100 days ago (eligible again).
      track('answered', 'Report Created', 60),
      track('answered', '$nps_response', 5, { properties: { score: 9 } }),
      track('dismissed', 'Report Created', 60),
      track('dismissed', '$nps_dismissed', 3),
      track('answered-long-ago', 'Report Created', 120),
      track('answered-long-ago', '$nps_response', 100, { properties: { score: 4 } }),
      // Seen 2 days ago, no account: too new. Seen 2 days ago in an onboarded account: eligible.
      track('newbie', 'Report Created', 2),
      group(t.project, 'onboarded-newbie', 'onboarded', 2, { onboardedAt: daysAgo(40) }),
      // An anonymous visitor for 50 days who signed up yesterday: first seen 50 days ago.
      { type: 'page', messageId: message(), anonymousId: 'anon-1', name: 'Pricing', timestamp: daysAgo(50) },
      { type: 'identify', messageId: message(), anonymousId: 'anon-1', userId: 'converted', timestamp: daysAgo(1) },
      // Two users of one account, first seen 60 days ago (the account is post-onboarding by age).
      group(t.project, 'team-1', 'team', 60),
      group(t.project, 'team-2', 'team', 60),
      track('team-1', 'Report Created', 1),
      track('team-2', 'Report Created', 1),
    ]);
    await send([track('stranger', 'Report Created', 60)], other.writeKey);
    await send([track('guarded-user', 'Report Created', 60)], guarded.writeKey);
  });
  afterAll(async () => t?.close());

  describe('NPS prompt', () => {
    it('shows the prompt to an eligible user, with the default survey and question', async () => {
      const answer = await nps('veteran');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ show: true, surveyId: 'nps', question: 'How likely are you to recommend us to a friend or colleague?', reason: 'eligible' });
      expect(answer.headers['cache-control']).toBe('no-store');
    });

    it('does not show it again on another device (the ledger counted the first answer)', async () => {
      expect((await nps('veteran')).body).toMatchObject({ show: false, reason: 'user_contacted_recently' });
      // Another survey is contact too.
      expect((await widget('nps', 'veteran', { query: '&surveyId=onboarding' })).body).toMatchObject({ show: false, surveyId: 'onboarding', reason: 'user_contacted_recently' });
    });

    it.each([
      ['answered', false, 'answered_recently'],
      ['dismissed', false, 'dismissed_recently'],
      ['newbie', false, 'too_new'],
      ['nobody-ever', false, 'unknown_user'],
      ['answered-long-ago', true, 'eligible'],
      ['onboarded-newbie', true, 'eligible'],
      ['converted', true, 'eligible'],
    ] as const)('%s → show %s (%s)', async (userId, show, reason) => {
      const answer = await nps(userId);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ show, reason });
    });

    it('holds the account daily limit across the users of an account', async () => {
      expect((await putSettings({ nps: { accountDailyPromptLimit: 1 } })).statusCode).toBe(200);
      expect((await nps('team-1')).body).toMatchObject({ show: true, reason: 'eligible' });
      expect((await nps('team-2')).body).toMatchObject({ show: false, reason: 'account_daily_limit' });
      expect((await nps('team-1')).body).toMatchObject({ show: false, reason: 'user_contacted_recently' });
    });

    it('gives one prompt between devices that ask at the same moment', async () => {
      await send([track('racer', 'Report Created', 60)]);
      const answers = await Promise.all(Array.from({ length: 6 }, () => nps('racer')));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(answers.filter((answer) => answer.body['show']).length).toBe(1);
    });

    it('applies the project settings: question, sampling, quota', async () => {
      await send([track('sampled', 'Report Created', 60), track('quota', 'Report Created', 60)]);
      expect((await putSettings({ nps: { samplingRate: 0, question: 'Would you recommend Acme?' } })).json()).toMatchObject({ nps: { samplingRate: 0, accountDailyPromptLimit: 10 } });
      expect((await nps('sampled')).body).toEqual({ show: false, surveyId: 'nps', question: 'Would you recommend Acme?', reason: 'not_sampled' });
      // One response ("answered", 5 days ago) in the last 30 days meets a quota of 1.
      await putSettings({ nps: { responseQuota: 1 } });
      expect((await nps('quota')).body).toMatchObject({ show: false, reason: 'response_quota_met', question: 'How likely are you to recommend us to a friend or colleague?' });
      await putSettings({});
      expect((await nps('quota')).body).toMatchObject({ show: true, reason: 'eligible' });
    });
  });

  describe('settings', () => {
    const get = (key: string) => t.app.inject({ method: 'GET', url: '/v1/widgets/settings', headers: { authorization: `Bearer ${key}` } });

    it('answers the defaults of a project that changed nothing', async () => {
      const answer = await get(other.secretKey);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({
        nps: {
          question: 'How likely are you to recommend us to a friend or colleague?',
          samplingRate: 1,
          minUserAgeDays: 14,
          responseCooldownDays: 90,
          dismissCooldownDays: 30,
          userContactIntervalDays: 7,
          accountDailyPromptLimit: 10,
          responseQuota: null,
          responseQuotaDays: 30,
        },
        progress: { maxMissing: 3 },
      });
    });

    it('replaces them with PUT, one project only', async () => {
      expect((await putSettings({ nps: { samplingRate: 0.25 }, progress: { maxMissing: 1 } }, other)).statusCode).toBe(200);
      expect((await get(other.secretKey)).json()).toMatchObject({ nps: { samplingRate: 0.25, userContactIntervalDays: 7 }, progress: { maxMissing: 1 } });
      expect((await get(t.project.secretKey)).json()).toMatchObject({ nps: { samplingRate: 1 }, progress: { maxMissing: 3 } });
      await putSettings({}, other);
      expect((await get(other.secretKey)).json()).toMatchObject({ nps: { samplingRate: 1 }, progress: { maxMissing: 3 } });
    });

    it('refuses bad settings with the path, and the write key', async () => {
      const bad = await putSettings({ nps: { samplingRate: 2 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'invalid_request', path: 'nps.samplingRate' });
      expect((await putSettings({ nps: { sampligRate: 0.5 } })).statusCode).toBe(400);
      expect((await get(t.project.writeKey)).statusCode).toBe(401);
      expect((await get(t.project.writeKey)).json()).toMatchObject({ error: 'write_key_not_allowed' });
    });
  });

  describe('authentication and origins', () => {
    const raw = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
    const hashOf = (userId: string, project = t.project) => userHash(project.identitySecret, userId);

    it.each(['nps', 'progress'])('/v1/widgets/%s answers 401 for a missing or wrong key, user or hash', async (path) => {
      const url = `/v1/widgets/${path}`;
      const bearer = { authorization: `Bearer ${t.project.writeKey}` };
      const cases: Array<[string, Record<string, string>, string]> = [
        [`${url}?userId=veteran&userHash=${hashOf('veteran')}`, {}, 'missing_write_key'],
        [`${url}?userId=veteran&userHash=${hashOf('veteran')}`, { authorization: 'Bearer wk_nope' }, 'invalid_write_key'],
        [`${url}?userId=veteran&userHash=${hashOf('veteran')}`, { authorization: `Bearer ${t.project.secretKey}` }, 'secret_key_not_allowed'],
        [`${url}?userHash=${hashOf('veteran')}`, bearer, 'missing_user_id'],
        [`${url}?userId=veteran`, bearer, 'missing_user_hash'],
        [`${url}?userId=veteran&userHash=${'0'.repeat(64)}`, bearer, 'invalid_user_hash'],
        // Another user's valid hash, and this user's hash under another project's secret.
        [`${url}?userId=veteran&userHash=${hashOf('team-1')}`, bearer, 'invalid_user_hash'],
        [`${url}?userId=veteran&userHash=${hashOf('veteran', other)}`, bearer, 'invalid_user_hash'],
        // Another project's write key with this project's hash.
        [`${url}?userId=veteran&userHash=${hashOf('veteran')}`, { authorization: `Bearer ${other.writeKey}` }, 'invalid_user_hash'],
      ];
      for (const [target, headers, error] of cases) {
        const answer = await raw(target, headers);
        expect({ target, status: answer.statusCode, error: answer.json().error }).toEqual({ target, status: 401, error });
        expect(answer.json().message).toBeTruthy();
      }
    });

    it('takes the write key as ?writeKey= (no preflight) and accepts an uppercase hash', async () => {
      const answer = await raw(`/v1/widgets/progress?userId=veteran&userHash=${hashOf('veteran').toUpperCase()}&writeKey=${t.project.writeKey}`);
      expect(answer.statusCode).toBe(200);
    });

    it('is open to any origin unless the project lists origins', async () => {
      const open = await widget('progress', 'veteran', { headers: { origin: 'https://anywhere.example' } });
      expect(open.status).toBe(200);
      expect(open.headers['access-control-allow-origin']).toBe('https://anywhere.example');
      const allowed = await widget('progress', 'guarded-user', { project: guarded, headers: { origin: 'https://app.example.com' } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const refused = await widget('nps', 'guarded-user', { project: guarded, headers: { origin: 'https://evil.example' } });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'origin_not_allowed' });
      // Refused before anything was counted: the user still gets the prompt from the right origin.
      expect((await widget('nps', 'guarded-user', { project: guarded, headers: { origin: 'https://app.example.com' } })).body).toMatchObject({ show: true });
    });

    it('answers the CORS preflight a browser sends for Authorization', async () => {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: '/v1/widgets/nps?userId=a&userHash=b',
        headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://anywhere.example');
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    });

    it('does not let a user read an account they are not in', async () => {
      const answer = await widget('progress', 'team-1', { query: '&accountId=onboarded' });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'not_a_member', path: 'accountId' });
      expect((await widget('progress', 'team-1', { query: '&accountId=team' })).body['account']).toMatchObject({ accountId: 'team' });
    });
  });

  describe('progress', () => {
    // A fresh project: its own score model and a world small enough to count by hand.
    let p: ProjectKeys;
    const progress = (userId: string, options: { hashOf?: string; query?: string } = {}) => widget('progress', userId, { project: p, ...options });
    const window = { from: dayOf(29), to: dayOf(0) };
    const previousWindow = { from: dayOf(59), to: dayOf(30) };

    beforeAll(async () => {
      p = await t.createProject('Progress');
      await send(
        [
          group(p, 'ann', 'acme', 100),
          group(p, 'bob', 'acme', 100),
          group(p, 'cat', 'globex', 100),
          // ann: Report Created 4 + 2 + 1 now (day 29 is the window's first day), 1 + 3 before
          // (day 30 is the previous window's last day), 1 on day 60 (in neither window).
          ...times(4, () => track('ann', 'Report Created', 1)),
          ...times(2, () => track('ann', 'Report Created', 10)),
          track('ann', 'Report Created', 29),
          track('ann', 'Report Created', 30),
          ...times(3, () => track('ann', 'Report Created', 40)),
          track('ann', 'Report Created', 60),
          track('ann', 'Comment Added', 35),
          // Used long ago: never suggested, never listed.
          track('ann', 'Dashboard Shared', 100),
          // Not features of the model, or not track events: never counted.
          track('ann', 'Other Thing', 2),
          track('ann', '$nps_shown', 2),
          { type: 'page', messageId: message(), userId: 'ann', name: 'Home', timestamp: daysAgo(2) },
          // bob, same account; cat, another account: cat's uses never reach ann's answer.
          ...times(5, () => track('bob', 'Report Created', 2)),
          ...times(2, () => track('bob', 'Alert Set', 45)),
          ...times(7, () => track('cat', 'Alert Set', 3)),
          ...times(9, () => track('cat', 'Report Created', 3)),
        ],
        p.writeKey,
      );
    });

    it('with the default model (v1): every track event the user did, named as it is', async () => {
      const answer = await progress('ann');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        userId: 'ann',
        model: { version: 1 },
        window,
        previousWindow,
        user: {
          items: [
            { event: 'Report Created', label: 'Report Created', count: 7, previousCount: 4, change: 3 },
            { event: 'Other Thing', label: 'Other Thing', count: 1, previousCount: 0, change: 1 },
            { event: 'Comment Added', label: 'Comment Added', count: 0, previousCount: 1, change: -1 },
          ],
          missing: [],
        },
        account: {
          accountId: 'acme',
          items: [
            { event: 'Report Created', label: 'Report Created', count: 12, previousCount: 4, change: 8 },
            { event: 'Other Thing', label: 'Other Thing', count: 1, previousCount: 0, change: 1 },
            { event: 'Comment Added', label: 'Comment Added', count: 0, previousCount: 1, change: -1 },
            { event: 'Alert Set', label: 'Alert Set', count: 0, previousCount: 2, change: -2 },
          ],
        },
      });
    });

    it('with a labelled model: labels, and the most valuable features never used with their value text', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/score-models',
        headers: { authorization: `Bearer ${p.secretKey}` },
        payload: {
          features: {
            'Report Created': { weight: 3, label: 'reports created' },
            'Dashboard Shared': { weight: 5, label: 'dashboards shared', valueText: 'Share a dashboard to keep your team in the loop' },
            'Alert Set': { weight: 8, label: 'alerts set', valueText: 'Alerts tell you when a metric moves' },
            'Comment Added': { weight: 1, label: 'comments' },
            'Export Downloaded': { weight: 2, label: 'exports' },
            'Theme Changed': { weight: 0, label: 'themes' },
          },
          windowDays: 30,
        },
      });
      expect(created.statusCode).toBe(201);
      const answer = await progress('ann');
      expect(answer.body).toEqual({
        userId: 'ann',
        model: { version: 2 },
        window,
        previousWindow,
        user: {
          items: [
            { event: 'Report Created', label: 'reports created', count: 7, previousCount: 4, change: 3 },
            { event: 'Comment Added', label: 'comments', count: 0, previousCount: 1, change: -1 },
          ],
          // Dashboard Shared was used 100 days ago; Theme Changed is worth nothing.
          missing: [
            { event: 'Alert Set', label: 'alerts set', weight: 8, valueText: 'Alerts tell you when a metric moves' },
            { event: 'Export Downloaded', label: 'exports', weight: 2, valueText: null },
          ],
        },
        account: {
          accountId: 'acme',
          items: [
            { event: 'Report Created', label: 'reports created', count: 12, previousCount: 4, change: 8 },
            { event: 'Comment Added', label: 'comments', count: 0, previousCount: 1, change: -1 },
            { event: 'Alert Set', label: 'alerts set', count: 0, previousCount: 2, change: -2 },
          ],
        },
      });
    });

    it('answers a user with no account and no events without anyone else’s data', async () => {
      const answer = await progress('nobody');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ userId: 'nobody', user: { items: [] }, account: null });
      expect(answer.body['user'].missing.map((feature: { event: string }) => feature.event)).toEqual(['Alert Set', 'Dashboard Shared', 'Report Created']);
    });

    it("does not let user A's hash read user B", async () => {
      const answer = await progress('cat', { hashOf: 'ann' });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_user_hash' });
    });

    it('follows the settings for how many features to suggest', async () => {
      expect((await putSettings({ progress: { maxMissing: 1 } }, p)).statusCode).toBe(200);
      expect((await progress('ann')).body['user'].missing.map((feature: { event: string }) => feature.event)).toEqual(['Alert Set']);
    });
  });

  it('documents the widget routes in OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/widgets/nps', '/v1/widgets/progress', '/v1/widgets/settings']));
    expect(spec.paths['/v1/widgets/nps'].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['userId', 'userHash', 'writeKey', 'surveyId']),
    );
  });
});
