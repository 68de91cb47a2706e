import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoProject } from '../../src/demo/demo-project.ts';
import { inHoldout } from '../../src/domain/campaigns/eligibility.ts';
import { userHash, type ProjectKeys } from '../../src/projects/keys.ts';
import { createScoreModel } from '../../src/query/score-models.queries.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// A small world dated relative to today (UTC), so "first seen 40 days ago" means what it says
// whenever the test runs.
const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number, hour = 12) => new Date(Math.min(Date.now() - 60_000, todayStart - days * DAY_MS + hour * 3_600_000)).toISOString();

let sequence = 0;
const message = () => `c-${++sequence}`;
const track = (userId: string, event: string, days: number, extra: Record<string, unknown> = {}) => ({ type: 'track', messageId: message(), userId, event, timestamp: daysAgo(days), ...extra });
const identify = (userId: string, traits: Record<string, unknown>, days = 40) => ({ type: 'identify', messageId: message(), userId, traits, timestamp: daysAgo(days) });
const group = (project: ProjectKeys, userId: string, groupId: string, days: number) => ({
  type: 'group', messageId: message(), userId, groupId, timestamp: daysAgo(days), traits: { name: 'Acme' }, context: { userHash: userHash(project.identitySecret, userId) },
});
// Active recently, never sent 'Alert Set': in feature-unused:Alert Set.
const regular = (userId: string) => [track(userId, 'Report Created', 40), track(userId, 'Report Created', 1)];

const FEATURES = {
  'Report Created': { weight: 2, label: 'reports created', valueText: 'Turn a question into a report in two minutes.' },
  'Alert Set': { weight: 8, label: 'alerts set', valueText: 'Get a message the moment a metric crosses a threshold.' },
};

const validCampaign = {
  name: 'Alerts',
  kind: 'missing-value',
  audience: { segments: ['feature-unused:Alert Set'] },
  message: { title: "You're missing: {{featureLabel}}", body: '{{featureValueText}}', cta: { label: 'Set an alert', url: '/alerts/new' } },
  goal: { kind: 'event', event: 'Alert Set', withinDays: 14 },
};

describe.each(testDatabaseKinds)('campaigns on %s', (kind) => {
  let t: TestApp;
  let other: ProjectKeys;

  const send = async (batch: unknown[], project = t.project) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
    expect(response.statusCode).toBe(200);
    expect(response.json().rejected).toEqual([]);
  };
  const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = t.project.secretKey) => {
    const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.body === '' ? null : (response.json() as Record<string, any>) };
  };
  const widget = async (path: string, userId: string, query = '', project = t.project) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/v1/widgets/${path}?userId=${encodeURIComponent(userId)}&userHash=${userHash(project.identitySecret, userId)}${query}`,
      headers: { authorization: `Bearer ${project.writeKey}` },
    });
    return { status: response.statusCode, headers: response.headers, body: response.json() as Record<string, any> };
  };
  const messages = (userId: string, query = '') => widget('messages', userId, query);
  const disableAll = async () => {
    for (const campaign of (await api('GET', '/v1/campaigns')).body!.campaigns) await api('PATCH', `/v1/campaigns/${campaign.id}`, { enabled: false });
  };
  const create = async (body: Record<string, unknown>) => {
    const created = await api('POST', '/v1/campaigns', body);
    expect(created.status).toBe(201);
    return created.body!;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    other = await t.createProject('Other');
    await createScoreModel(t.app.store.db, t.project.projectId, { features: FEATURES, windowDays: 30, dailyCap: 20, activate: true });
    await send([
      identify('ada', { name: 'Ada Lovelace' }),
      ...regular('ada'),
      ...regular('racer'),
      ...regular('markup'),
      identify('markup', { firstName: '<img src=x onerror=alert(1)>' }),
      ...regular('member'),
      group(t.project, 'member', 'acme', 40),
      ...regular('alerter'),
      track('alerter', 'Alert Set', 3),
      ...Array.from({ length: 24 }, (_, i) => regular(`h${i}`)).flat(),
      ...Array.from({ length: 8 }, (_, i) => regular(`nps${i}`)).flat(),
    ]);
  });
  afterAll(async () => t?.close());

  describe('templates', () => {
    it('a new project has the playbook campaigns, every one off', async () => {
      const { status, body } = await api('GET', '/v1/campaigns', undefined, other.secretKey);
      expect(status).toBe(200);
      expect(body!.campaigns.map((campaign: any) => [campaign.kind, campaign.enabled])).toEqual([
        ['nps-follow-up', false],
        ['nps-follow-up', false],
        ['win-back', false],
        ['welcome', false],
        ['missing-value', false],
        ['achievements', false],
      ]);
      const missing = body!.campaigns.find((campaign: any) => campaign.kind === 'missing-value');
      expect(missing).toMatchObject({ audience: { segments: ['feature-unused:*'] }, message: { title: "You're missing: {{featureLabel}}", body: '{{featureValueText}}' }, holdoutShare: 0.1 });
      expect(missing.id).toMatch(/^cmp_[A-Za-z0-9_-]{16}$/);
    });
  });

  it('the demo project has the playbook campaigns on, and keeps what its user changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uptake-campaigns-demo-'));
    try {
      const demo = await ensureDemoProject(t.app.store.db, dir);
      const listed = async () => (await api('GET', '/v1/campaigns', undefined, demo.secretKey)).body!.campaigns as Array<Record<string, any>>;
      const campaigns = await listed();
      expect(campaigns).toHaveLength(6);
      expect(campaigns.every((campaign) => campaign['enabled'] === true)).toBe(true);
      await api('PATCH', `/v1/campaigns/${campaigns[0]!['id']}`, { enabled: false }, demo.secretKey);
      await ensureDemoProject(t.app.store.db, dir);
      expect((await listed()).map((campaign) => campaign['enabled'])).toEqual([false, true, true, true, true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('CRUD', () => {
    it('makes, reads, changes and deletes a campaign, defaults filled', async () => {
      const created = await create(validCampaign);
      expect(created).toMatchObject({
        ...validCampaign,
        audience: { segments: ['feature-unused:Alert Set'], traits: [] },
        enabled: false,
        holdoutShare: 0.1,
        message: { ...validCampaign.message, format: 'card' },
        schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 },
      });
      expect((await api('GET', `/v1/campaigns/${created.id}`)).body).toEqual(created);
      const patched = await api('PATCH', `/v1/campaigns/${created.id}`, { enabled: true, schedule: { priority: 7 } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ enabled: true, schedule: { priority: 7, frequency: { kind: 'once' } }, name: 'Alerts' });
      expect((await api('DELETE', `/v1/campaigns/${created.id}`)).status).toBe(204);
      expect((await api('GET', `/v1/campaigns/${created.id}`)).body).toMatchObject({ error: 'campaign_not_found' });
      expect((await api('DELETE', `/v1/campaigns/${created.id}`)).status).toBe(404);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an unknown placeholder', { message: { ...validCampaign.message, body: 'Hi {{lastName}}' } }, 'message.body'],
      ['a template with logic', { message: { ...validCampaign.message, title: '{{#if firstName}}Hi{{/if}}' } }, 'message.title'],
      ['a javascript: URL', { message: { ...validCampaign.message, cta: { label: 'Go', url: 'javascript:alert(1)' } } }, 'message.cta.url'],
      ['a protocol-relative URL', { message: { ...validCampaign.message, cta: { label: 'Go', url: '//evil.example/x' } } }, 'message.cta.url'],
      ['a holdout above 0.5', { holdoutShare: 0.75 }, 'holdoutShare'],
      ['an unknown kind', { kind: 'popup' }, 'kind'],
      ['an unknown segment', { audience: { segments: ['no-such-segment'] } }, 'audience.segments[0]'],
      ['a feature the model does not name', { audience: { segments: ['dormant', 'feature-unused:Nope'] } }, 'audience.segments[1]'],
      ['a segment-exit goal on an account segment', { goal: { kind: 'segment-exit', segment: 'top', withinDays: 7 } }, 'goal.segment'],
      ['an end before the start', { schedule: { startsAt: '2026-12-10T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' } }, 'schedule.endsAt'],
      ['a gt condition on a string', { audience: { segments: ['dormant'], traits: [{ trait: 'plan', op: 'gt', value: 'x' }] } }, 'audience.traits[0].value'],
      ['a NUL in the name', { name: 'a\u0000b' }, 'name'],
    ])('refuses %s with a 400 naming the field', async (_name, change, path) => {
      const { status, body } = await api('POST', '/v1/campaigns', { ...validCampaign, ...change });
      expect(status).toBe(400);
      expect(body).toMatchObject({ path });
      expect(body!['message']).toContain(path);
    });

    it('refuses a bad PATCH field, and an unknown campaign', async () => {
      const created = await create(validCampaign);
      expect(await api('PATCH', `/v1/campaigns/${created.id}`, { message: { title: '{{nope}}', body: 'x' } })).toMatchObject({ status: 400, body: { path: 'message.title' } });
      expect(await api('PATCH', '/v1/campaigns/cmp_missing', { enabled: true })).toMatchObject({ status: 404, body: { error: 'campaign_not_found' } });
      await api('DELETE', `/v1/campaigns/${created.id}`);
    });

    it('needs the secret key, and sees only its own project', async () => {
      expect((await api('GET', '/v1/campaigns', undefined, t.project.writeKey)).status).toBe(401);
      const mine = (await api('GET', '/v1/campaigns')).body!.campaigns[0];
      expect((await api('GET', `/v1/campaigns/${mine.id}`, undefined, other.secretKey)).status).toBe(404);
    });
  });

  describe('preview', () => {
    it('fills the template for a chosen user, ignoring enabled, the ledger and the holdout', async () => {
      const missing = (await api('GET', '/v1/campaigns')).body!.campaigns.find((campaign: any) => campaign.kind === 'missing-value');
      const preview = await api('GET', `/v1/campaigns/${missing.id}/preview?userId=ada`);
      expect(preview).toEqual({
        status: 200,
        body: {
          eligible: true,
          reason: 'eligible',
          message: { campaignId: missing.id, kind: 'missing-value', format: 'card', title: "You're missing: alerts set", body: FEATURES['Alert Set'].valueText, cta: null },
        },
      });
      expect((await api('GET', `/v1/campaigns/${missing.id}/preview?userId=ghost`)).body).toEqual({ eligible: false, reason: 'unknown_user', message: null });
      // In no feature-unused segment: not eligible, and no feature to name.
      expect((await api('GET', `/v1/campaigns/${missing.id}/preview?userId=alerter`)).body).toMatchObject({ eligible: false, reason: 'not_in_audience' });
      const welcome = (await api('GET', '/v1/campaigns')).body!.campaigns.find((campaign: any) => campaign.kind === 'welcome');
      expect((await api('GET', `/v1/campaigns/${welcome.id}/preview?userId=ada`)).body).toMatchObject({ eligible: false, reason: 'not_in_audience', message: { title: 'Welcome aboard' } });
      expect((await api('GET', `/v1/campaigns/${welcome.id}/preview`)).body).toMatchObject({ path: 'userId' });
    });

    it('checks trait conditions against the user traits', async () => {
      const named = await create({ ...validCampaign, name: 'Named', audience: { segments: ['feature-unused:Alert Set'], traits: [{ trait: 'name', op: 'exists' }] } });
      expect((await api('GET', `/v1/campaigns/${named.id}/preview?userId=ada`)).body).toMatchObject({ eligible: true, reason: 'eligible' });
      expect((await api('GET', `/v1/campaigns/${named.id}/preview?userId=racer`)).body).toMatchObject({ eligible: false, reason: 'trait_mismatch' });
      await api('DELETE', `/v1/campaigns/${named.id}`);
    });
  });

  describe('GET /v1/widgets/messages', () => {
    let alerts: Record<string, any>;
    beforeAll(async () => {
      await disableAll();
      alerts = await create({ ...validCampaign, enabled: true, holdoutShare: 0, schedule: { priority: 5 } });
    });

    it('shows the highest-priority message once, plain text filled, then the shared ledger refuses the NPS prompt and a second message', async () => {
      const low = await create({ ...validCampaign, name: 'Lower', enabled: true, holdoutShare: 0, message: { title: 'Lower', body: 'Lower' }, schedule: { priority: 1 } });
      const first = await messages('ada');
      expect(first.status).toBe(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.body).toEqual({
        show: true,
        reason: 'eligible',
        message: { campaignId: alerts['id'], kind: 'missing-value', format: 'card', title: "You're missing: alerts set", body: FEATURES['Alert Set'].valueText, cta: { label: 'Set an alert', url: '/alerts/new' } },
      });
      expect((await messages('ada')).body).toEqual({ show: false, reason: 'user_contacted_recently', message: null });
      expect((await widget('nps', 'ada')).body).toMatchObject({ show: false, reason: 'user_contacted_recently' });
      const ledger = await t.app.store.db.selectFrom('widget_contacts').select(['kind', 'survey_id']).where('project_id', '=', t.project.projectId).where('user_id', '=', 'ada').execute();
      expect(ledger).toEqual([{ kind: 'message', survey_id: alerts['id'] }]);
      await api('DELETE', `/v1/campaigns/${low.id}`);
    });

    it('an NPS prompt first means no message within the interval', async () => {
      expect((await widget('nps', 'nps0')).body).toMatchObject({ show: true });
      expect((await messages('nps0')).body).toEqual({ show: false, reason: 'user_contacted_recently', message: null });
    });

    it('answers filled values as plain text, never markup', async () => {
      const hello = await create({ ...validCampaign, name: 'Hello', enabled: true, holdoutShare: 0, message: { title: 'Hello {{firstName}}', body: '<b>{{featureLabel}}</b>' }, schedule: { priority: 9 } });
      expect((await messages('markup')).body).toMatchObject({ show: true, message: { title: 'Hello <img src=x onerror=alert(1)>', body: '<b>alerts set</b>' } });
      await api('DELETE', `/v1/campaigns/${hello.id}`);
    });

    it('concurrent requests for one user get one message between them', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => messages('racer')));
      expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
      expect(answers.filter((answer) => answer.body['show'] === true)).toHaveLength(1);
      const assignments = await t.app.store.db.selectFrom('campaign_assignments').select('group').where('project_id', '=', t.project.projectId).where('user_id', '=', 'racer').execute();
      expect(assignments).toEqual([{ group: 'exposed' }]);
    });

    it('concurrent NPS and message requests for one user give one contact between them', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? messages('nps1') : widget('nps', 'nps1'))));
      expect(answers.filter((answer) => answer.body['show'] === true)).toHaveLength(1);
      const ledger = await t.app.store.db.selectFrom('widget_contacts').select('kind').where('project_id', '=', t.project.projectId).where('user_id', '=', 'nps1').execute();
      expect(ledger).toHaveLength(1);
    });

    it('a holdout user is shown nothing, recorded as held out, and takes no contact', async () => {
      await disableAll();
      const held = await create({ ...validCampaign, name: 'Held', enabled: true, holdoutShare: 0.5 });
      const users = Array.from({ length: 24 }, (_, i) => `h${i}`);
      const heldOut = users.find((user) => inHoldout(t.project.projectId, held['id'], user, 0.5))!;
      const shown = users.find((user) => !inHoldout(t.project.projectId, held['id'], user, 0.5))!;
      expect((await messages(heldOut)).body).toEqual({ show: false, reason: 'holdout', message: null });
      expect((await messages(shown)).body).toMatchObject({ show: true, message: { campaignId: held['id'] } });
      const rows = await t.app.store.db
        .selectFrom('campaign_assignments')
        .select(['user_id', 'group'])
        .where('project_id', '=', t.project.projectId)
        .where('campaign_id', '=', held['id'])
        .orderBy('assignment_id')
        .execute();
      expect(rows).toEqual([
        { user_id: heldOut, group: 'holdout' },
        { user_id: shown, group: 'exposed' },
      ]);
      // Once held out, the campaign (once per user) is done for them; the ledger is untouched.
      expect((await messages(heldOut)).body).toEqual({ show: false, reason: 'no_campaign', message: null });
      expect((await widget('nps', heldOut)).body).toMatchObject({ show: true });
      const results = await api('GET', `/v1/campaigns/${held['id']}/results`);
      expect(results.body).toMatchObject({ exposed: { users: 1 }, holdout: { users: 1 } });
    });

    it('answers unknown_user, no_campaign, and the widget gate', async () => {
      expect((await messages('ghost')).body).toEqual({ show: false, reason: 'unknown_user', message: null });
      await disableAll();
      expect((await messages('h23')).body).toEqual({ show: false, reason: 'no_campaign', message: null });
      const bad = await t.app.inject({ method: 'GET', url: `/v1/widgets/messages?userId=ada&userHash=${'0'.repeat(64)}`, headers: { authorization: `Bearer ${t.project.writeKey}` } });
      expect(bad.statusCode).toBe(401);
      expect(bad.json()).toMatchObject({ error: 'invalid_user_hash', path: 'userHash' });
      expect((await messages('member', '&accountId=acme')).status).toBe(200);
      expect(await messages('ada', '&accountId=acme')).toMatchObject({ status: 403, body: { error: 'not_a_member', path: 'accountId' } });
    });
  });

  it('accepts the $message_* events with their campaignId, and refuses them without', async () => {
    await send([
      track('ada', '$message_shown', 0, { properties: { campaignId: 'cmp_x' } }),
      track('ada', '$message_clicked', 0, { properties: { campaignId: 'cmp_x', url: '/alerts/new' } }),
      track('ada', '$message_dismissed', 0, { properties: { campaignId: 'cmp_x' } }),
    ]);
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload: { batch: [track('ada', '$message_shown', 0)] } });
    expect(response.json().rejected).toHaveLength(1);
  });
});
