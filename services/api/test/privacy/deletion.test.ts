import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';
import { findAnywhere } from './deletion-scan.ts';

const DAYS = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];
const at = (day: string, hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`;

/** Alice's traces: ids, traits, a comment, a page URL naming her. None may survive her deletion. */
const ALICE = { userId: 'u-alice', anonymousId: 'anon-alice', email: 'alice@example.com', name: 'Alice Liddell', plan: 'plan-wonderland', comment: 'comment-by-alice' };

function personEvents(person: { userId: string; anonymousId: string; email: string; name: string; plan: string; comment: string }, account: string, prefix: string) {
  const events: object[] = [
    { type: 'page', anonymousId: person.anonymousId, messageId: `${prefix}-p0`, timestamp: at(DAYS[0]!, 8), name: 'Home', context: { page: { url: `https://app.test/?email=${person.email}` }, ip: '203.0.113.9' } },
    { type: 'identify', userId: person.userId, anonymousId: person.anonymousId, messageId: `${prefix}-i`, timestamp: at(DAYS[0]!, 9), traits: { email: person.email, name: person.name, plan: person.plan } },
    { type: 'group', userId: person.userId, groupId: account, messageId: `${prefix}-g`, timestamp: at(DAYS[0]!, 9), traits: { name: 'Rabbit Hole Ltd', seats: 5 } },
    { type: 'track', event: '$nps_response', userId: person.userId, messageId: `${prefix}-nps`, timestamp: at(DAYS[1]!, 10), properties: { score: 4, comment: person.comment, accountId: account } },
  ];
  DAYS.forEach((day, d) => {
    for (let i = 0; i < 3; i++) {
      events.push({ type: 'track', event: 'Report Created', userId: person.userId, messageId: `${prefix}-t${d}-${i}`, timestamp: at(day, 11 + i), properties: { accountId: account, title: `${person.name} report` }, context: { email: person.email } });
    }
  });
  return events;
}

const BOB = { userId: 'u-bob', anonymousId: 'anon-bob', email: 'bob@example.com', name: 'Bob Builder', plan: 'plan-bob', comment: 'comment-by-bob' };

describe.each(testDatabaseKinds)('deletion on %s', (kind) => {
  let t: TestApp;
  let other: { projectId: string; writeKey: string; secretKey: string };
  beforeAll(async () => {
    t = await createTestApp(kind, { webhooks: { allowPrivate: true } });
    other = await t.createProject('Other');
  });
  afterAll(async () => t?.close());

  const send = (app: FastifyInstance, writeKey: string, batch: object[]) =>
    app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { sentAt: new Date().toISOString(), batch } });
  const get = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const del = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${key}` } });
  /**
   * A DELETE and its completed receipt. The route answers 200 once the deletion completes within
   * its wait (5 s), else 202 with the running receipt and its Location to poll (docs/privacy.md):
   * a step may wait on the score-points fold's locks, seconds on a busy Citus cluster.
   */
  const deleteAndWait = async (url: string) => {
    const response = await del(url);
    expect([200, 202], response.body).toContain(response.statusCode);
    const location = `/v1/deletions/${response.json().deletionId}`;
    expect(response.headers['location']).toBe(location);
    let receipt = response.json();
    for (const started = Date.now(); receipt.status !== 'completed' && Date.now() - started < 60_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      receipt = (await get(location)).json();
    }
    return { response, receipt };
  };
  const figures = async () => {
    const answers: Record<string, unknown> = {};
    for (const url of [
      `/v1/metrics/active?from=${DAYS[0]}&to=${DAYS[3]}`,
      `/v1/metrics/active?from=${DAYS[0]}&to=${DAYS[3]}&accountId=acct-rabbit`,
      `/v1/nps?from=${DAYS[0]}&to=${DAYS[3]}`,
      `/v1/accounts/acct-rabbit/score?asOf=${DAYS[3]}`,
      `/v1/accounts/acct-rabbit/utilisation?asOf=${DAYS[3]}`,
    ]) {
      const response = await get(url);
      answers[url] = response.statusCode === 200 ? response.json() : response.statusCode;
    }
    return answers;
  };

  it('stores the two people, with a warning, a webhook delivery and a widget contact naming Alice', async () => {
    const hook = await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${t.project.secretKey}` }, payload: { url: 'http://127.0.0.1:9/hook', events: ['nps.response'] } });
    expect(hook.statusCode, hook.body).toBe(201);
    const sent = await send(t.app, t.project.writeKey, [...personEvents(ALICE, 'acct-rabbit', 'a'), ...personEvents(BOB, 'acct-rabbit', 'b'), { type: 'track', userId: ALICE.userId, properties: { note: ALICE.email } }]);
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json().rejected).toHaveLength(1);
    // Alice in the other project too: deleting her here must not touch it.
    expect((await send(t.app, other.writeKey, personEvents(ALICE, 'acct-rabbit', 'o'))).json().rejected).toEqual([]);
    await t.app.store.db.insertInto('widget_contacts').values({ project_id: t.project.projectId, user_id: ALICE.userId, account_id: 'acct-rabbit', kind: 'nps', survey_id: 'nps', status: 'offered', shown_at: new Date() }).execute();
    // Segment history as the watcher records it (docs/plays.md): Alice's own rows, and an account's naming her.
    const db = t.app.store.db;
    const projectId = t.project.projectId;
    for (const [key, of] of [['top', 'users'], ['champion-disengaged', 'accounts']] as const) {
      await db.insertInto('segment_watches').values({ project_id: projectId, segment_key: key, of, name: key, definition: '{}', model_version: 1, baseline_day: DAYS[3]!, checked_day: DAYS[3]! }).execute();
    }
    const facts = [
      { key: 'top', of: 'users' as const, member: ALICE.userId, facts: JSON.stringify({ score: 12, plan: ALICE.plan }) },
      { key: 'champion-disengaged', of: 'accounts' as const, member: 'acct-rabbit', facts: JSON.stringify({ quietChampions: [ALICE.userId] }) },
    ];
    for (const row of facts) {
      await db.insertInto('segment_memberships').values({ project_id: projectId, segment_key: row.key, member_id: row.member, since_day: DAYS[3]!, facts: row.facts, model_version: 1 }).execute();
      await db.insertInto('segment_transitions').values({ project_id: projectId, segment_key: row.key, of: row.of, member_id: row.member, kind: 'entered', day: DAYS[3]!, facts: row.facts, model_version: 1 }).execute();
    }
    const found = await findAnywhere(t.app.store.db, [ALICE.userId, ALICE.email]);
    expect(found.join('\n')).toMatch(/ingestion_warnings\.payload/);
    expect(found.join('\n')).toMatch(/webhook_deliveries\.payload/);
    expect(found.join('\n')).toMatch(/widget_contacts\.user_id/);
    expect(found.join('\n')).toMatch(/segment_transitions\.facts/);
  });

  it('deletes a user: nothing holds her ids, traits or texts, the figures stay, the receipt names no one', async () => {
    const before = await figures();
    const { response, receipt } = await deleteAndWait(`/v1/users/${ALICE.userId}`);
    expect(receipt).toMatchObject({ subject: 'user', status: 'completed', allowReturn: false });
    expect(receipt.rows.events).toBe(4 + 12 + 0);
    expect(receipt.rows.users).toBe(1);
    expect(receipt.rows.ingestion_warnings).toBeGreaterThanOrEqual(1);
    expect(receipt.rows.webhook_deliveries).toBe(1);
    expect(receipt.rows.widget_contacts).toBe(1);
    expect(response.body).not.toContain(ALICE.userId);
    expect(JSON.stringify(receipt)).not.toContain(ALICE.userId);

    // In this project, no trace; in the other project, Alice is intact.
    const otherProjectOnly = await acrossProjects(t.app.store.db, (trx) => trx.selectFrom('events').select(['project_id']).where('user_id', '=', ALICE.userId).execute());
    expect(new Set(otherProjectOnly.map((row) => row.project_id))).toEqual(new Set([other.projectId]));
    expect(await findAnywhereInProject(t, t.project.projectId, Object.values(ALICE))).toEqual([]);
    expect((await findAnywhereInProject(t, t.project.projectId, [BOB.userId, BOB.email])).length).toBeGreaterThan(0);

    // The same figures; where one lists people, Alice's place is held by her pseudonym.
    const after = JSON.stringify(await figures());
    expect(after).not.toContain(ALICE.userId);
    expect(after.replace(/deleted:[0-9a-f]{32}/g, ALICE.userId)).toEqual(JSON.stringify(before));
    expect((await get(`/v1/users/${ALICE.userId}/score`)).statusCode).toBe(404);

    const again = await get(`/v1/deletions/${receipt.deletionId}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(receipt);
    expect((await get(`/v1/deletions/${receipt.deletionId}`, other.secretKey)).statusCode).toBe(404);
  });

  it('refuses her ids again with the reason deleted, keeps no warning naming her, and accepts others in the same batch', async () => {
    const response = await send(t.app, t.project.writeKey, [
      { type: 'track', event: 'Back', userId: ALICE.userId, messageId: 'again-1', context: { email: ALICE.email } },
      { type: 'page', anonymousId: ALICE.anonymousId, messageId: 'again-2' },
      { type: 'track', event: 'Back', userId: BOB.userId, messageId: 'again-3' },
      { type: 'track', event: 'Back', userId: ALICE.userId },
    ]);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((event: any) => [event.index, event.errors[0].path, event.errors[0].message.split(':')[0]])).toEqual([
      [0, 'userId', 'deleted'],
      [1, 'anonymousId', 'deleted'],
      [3, 'userId', 'deleted'],
    ]);
    expect(response.body).not.toContain(ALICE.userId);
    expect(await findAnywhereInProject(t, t.project.projectId, [ALICE.userId, ALICE.anonymousId, ALICE.email])).toEqual([]);
    // The other project never deleted her.
    expect((await send(t.app, other.writeKey, [{ type: 'track', event: 'Back', userId: ALICE.userId }])).json().rejected).toEqual([]);
  });

  it('with allowReturn, deletes without suppressing: the id may come back', async () => {
    const { receipt } = await deleteAndWait(`/v1/users/${BOB.userId}?allowReturn=true`);
    expect(receipt).toMatchObject({ status: 'completed', allowReturn: true });
    expect(await findAnywhereInProject(t, t.project.projectId, [BOB.userId, BOB.email, BOB.name])).toEqual([]);
    const back = await send(t.app, t.project.writeKey, [{ type: 'track', event: 'Back', userId: BOB.userId, messageId: 'bob-back' }]);
    expect(back.json()).toMatchObject({ accepted: 1, rejected: [] });
  });

  it('deletes an account: its id and traits go, the project figures stay, its events are refused', async () => {
    const before = await get(`/v1/metrics/active?from=${DAYS[0]}&to=${DAYS[3]}`);
    const { receipt } = await deleteAndWait('/v1/accounts/acct-rabbit');
    expect(receipt).toMatchObject({ subject: 'account', status: 'completed' });
    expect(receipt.rows.accounts).toBe(1);
    expect(await findAnywhereInProject(t, t.project.projectId, ['acct-rabbit', 'Rabbit Hole Ltd'])).toEqual([]);
    expect((await get(`/v1/metrics/active?from=${DAYS[0]}&to=${DAYS[3]}`)).json()).toEqual(before.json());
    expect((await get('/v1/accounts/acct-rabbit/score')).statusCode).toBe(404);
    const again = await send(t.app, t.project.writeKey, [
      { type: 'group', userId: 'u-carol', groupId: 'acct-rabbit' },
      { type: 'track', event: 'X', userId: 'u-carol', properties: { accountId: 'acct-rabbit' } },
      { type: 'track', event: 'X', userId: 'u-carol', context: { groupId: 'acct-rabbit' } },
    ]);
    expect(again.json().rejected.map((event: any) => [event.errors[0].path, event.errors[0].message.split(':')[0]])).toEqual([
      ['groupId', 'deleted'],
      ['properties.accountId', 'deleted'],
      ['context.groupId', 'deleted'],
    ]);
  });

  it('refuses hostile ids and parameters with a 400 naming the field, and needs the secret key', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/users/%00', 'userId'],
      ['/v1/accounts/a%00b', 'accountId'],
      ['/v1/accounts/acct?allowReturn=1', 'allowReturn'],
      ['/v1/users/u1?allowReturn=yes', 'allowReturn'],
    ];
    for (const [url, path] of cases) {
      const response = await del(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().path ?? response.json().message, url).toContain(path);
    }
    expect((await del('/v1/users/%ED%A0%80')).statusCode).toBe(400);
    const hostile = await get('/v1/deletions/d%00');
    expect(hostile.statusCode).toBe(400);
    expect(hostile.json().path).toBe('deletionId');
    expect((await get('/v1/deletions/del_nothing')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/users/u1' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/users/u1', headers: { authorization: basicAuth(t.project.writeKey) } })).statusCode).toBe(401);
  });
});

/** findAnywhere restricted to one project's rows (tables without project_id are scanned whole). */
async function findAnywhereInProject(t: TestApp, projectId: string, needles: string[]): Promise<string[]> {
  return (await findAnywhere(t.app.store.db, needles, projectId)).filter((line) => !line.endsWith('(0 rows)'));
}
