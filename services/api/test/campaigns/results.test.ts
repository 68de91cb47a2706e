import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// Results against an independent computation: generated assignments (as the widget API records
// them), exposure events and goal events (as the SDK and the product send them) and segment exits
// (as the segment watcher records them), with goals placed on both sides of every window boundary.
const DAY_MS = 86_400_000;
const Z = 1.959963984540054;

/** A seeded generator (mulberry32): the same world on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Wilson bounds as the roots of (1 + z²/n)p² − (2x/n + z²/n)p + (x/n)² = 0 (not the service's closed form). */
function wilsonRoots(x: number, n: number): [number, number] {
  const a = 1 + (Z * Z) / n;
  const b = -(2 * (x / n) + (Z * Z) / n);
  const c = (x / n) ** 2;
  const root = Math.sqrt(b * b - 4 * a * c);
  return [(-b - root) / (2 * a), (-b + root) / (2 * a)];
}

function expected(users: Array<{ group: string; converted: boolean; shown: boolean; clicked: boolean; dismissed: boolean }>) {
  const exposed = users.filter((user) => user.group === 'exposed');
  const holdout = users.filter((user) => user.group === 'holdout');
  const x1 = exposed.filter((user) => user.converted).length;
  const x2 = holdout.filter((user) => user.converted).length;
  const p1 = x1 / exposed.length;
  const p2 = x2 / holdout.length;
  const [l1, u1] = wilsonRoots(x1, exposed.length);
  const [l2, u2] = wilsonRoots(x2, holdout.length);
  return {
    exposed: {
      users: exposed.length,
      shown: exposed.filter((user) => user.shown).length,
      clicked: exposed.filter((user) => user.clicked).length,
      dismissed: exposed.filter((user) => user.dismissed).length,
      converted: x1,
      rate: p1,
    },
    holdout: { users: holdout.length, converted: x2, rate: p2 },
    lift: p1 - p2,
    relativeLift: p2 === 0 ? null : (p1 - p2) / p2,
    low: p1 - p2 - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: p1 - p2 + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
  };
}

describe.each(testDatabaseKinds)('campaign results on %s', (kind) => {
  let t: TestApp;
  let sequence = 0;
  const next = () => `r-${++sequence}`;

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.project.secretKey}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return response.json() as Record<string, any>;
  };
  const send = async (batch: unknown[]) => {
    for (let at = 0; at < batch.length; at += 400) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload: { batch: batch.slice(at, at + 400) } });
      expect(response.json().rejected).toEqual([]);
    }
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('a goal event: exposed against holdout, each user once in the group of their first assignment', async () => {
    const campaign = await api('POST', '/v1/campaigns', {
      name: 'Goal event',
      audience: { segments: ['dormant'] },
      message: { title: 'Hi', body: 'Come back' },
      goal: { kind: 'event', event: 'Goal Done', withinDays: 7 },
    });
    const other = await api('POST', '/v1/campaigns', { name: 'Other', audience: { segments: ['dormant'] }, message: { title: 'x', body: 'y' }, goal: { kind: 'event', event: 'Goal Done', withinDays: 7 } });
    const rand = random(17);
    const now = Date.now();
    // Goal offsets from the assignment on both sides of the window [0, 7 days].
    const offsets = [-DAY_MS, -1000, 0, 3_600_000, 3 * DAY_MS, 7 * DAY_MS, 7 * DAY_MS + 1000, 9 * DAY_MS];
    const assignments: Array<{ campaign_id: string; user_id: string; group: 'exposed' | 'holdout'; assigned_at: Date }> = [];
    const events: unknown[] = [];
    const truth: Array<{ group: string; converted: boolean; shown: boolean; clicked: boolean; dismissed: boolean }> = [];
    for (let i = 0; i < 90; i++) {
      const userId = `user-${i}`;
      const group = rand() < 0.35 ? 'holdout' : 'exposed';
      const assignedAt = new Date(now - 12 * DAY_MS - Math.floor(rand() * 15 * DAY_MS));
      assignments.push({ campaign_id: campaign['id'], user_id: userId, group, assigned_at: assignedAt });
      // A later assignment (every-N-days campaigns) never changes the user's group or window.
      if (rand() < 0.2) assignments.push({ campaign_id: campaign['id'], user_id: userId, group: group === 'exposed' ? 'holdout' : 'exposed', assigned_at: new Date(assignedAt.getTime() + 2 * DAY_MS) });
      // Another campaign's assignment and events are not this one's.
      if (rand() < 0.3) assignments.push({ campaign_id: other['id'], user_id: `other-${i}`, group: 'exposed', assigned_at: assignedAt });
      const at = (offset: number) => new Date(assignedAt.getTime() + offset).toISOString();
      let converted = false;
      for (const offset of offsets) {
        if (rand() < 0.18) {
          events.push({ type: 'track', messageId: next(), userId, event: 'Goal Done', timestamp: at(offset) });
          if (offset >= 0 && offset <= 7 * DAY_MS) converted = true;
        }
      }
      // A different event inside the window is no goal.
      if (rand() < 0.5) events.push({ type: 'track', messageId: next(), userId, event: 'Something Else', timestamp: at(DAY_MS) });
      const flags = { shown: false, clicked: false, dismissed: false };
      if (group === 'exposed') {
        for (const [event, flag] of [['$message_shown', 'shown'], ['$message_clicked', 'clicked'], ['$message_dismissed', 'dismissed']] as const) {
          if (rand() < 0.6) {
            events.push({ type: 'track', messageId: next(), userId, event, timestamp: at(60_000), properties: { campaignId: campaign['id'], ...(flag === 'clicked' ? { url: '/x' } : {}) } });
            flags[flag] = true;
          } else if (rand() < 0.3) {
            events.push({ type: 'track', messageId: next(), userId, event, timestamp: at(60_000), properties: { campaignId: other['id'] } });
          }
        }
      }
      truth.push({ group, converted, ...flags });
    }
    await t.app.store.db
      .insertInto('campaign_assignments')
      .values(assignments.map((row) => ({ project_id: t.project.projectId, ...row })))
      .execute();
    await send(events);

    const want = expected(truth);
    const results = await api('GET', `/v1/campaigns/${campaign['id']}/results`);
    expect(results['campaignId']).toBe(campaign['id']);
    expect(results['goal']).toEqual({ kind: 'event', event: 'Goal Done', withinDays: 7 });
    expect(results['exposed']).toEqual({ ...want.exposed, rate: expect.closeTo(want.exposed.rate, 12) });
    expect(results['holdout']).toEqual({ ...want.holdout, rate: expect.closeTo(want.holdout.rate, 12) });
    expect(results['lift']).toBeCloseTo(want.lift, 12);
    expect(results['relativeLift']).toBeCloseTo(want.relativeLift!, 12);
    expect(results['confidenceInterval']).toEqual({ level: 0.95, low: expect.closeTo(want.low, 10), high: expect.closeTo(want.high, 10) });
    // The generated world exercises both groups and both sides of the window.
    expect(want.exposed.converted).toBeGreaterThan(0);
    expect(want.exposed.converted).toBeLessThan(want.exposed.users);
    expect(want.holdout.converted).toBeGreaterThan(0);
  });

  it('a segment exit: recorded exits from the assignment day to withinDays after it', async () => {
    const campaign = await api('POST', '/v1/campaigns', {
      name: 'Exit',
      audience: { segments: ['dormant'] },
      message: { title: 'Hi', body: 'Come back' },
      goal: { kind: 'segment-exit', segment: 'dormant', withinDays: 7 },
    });
    const rand = random(5);
    const now = Date.now();
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const truth: Array<{ group: string; converted: boolean; shown: boolean; clicked: boolean; dismissed: boolean }> = [];
    const assignments = [];
    const transitions = [];
    for (let i = 0; i < 60; i++) {
      const userId = `exit-${i}`;
      const group = i % 3 === 0 ? 'holdout' : 'exposed';
      const assignedAt = new Date(now - 20 * DAY_MS + Math.floor(rand() * 5 * DAY_MS));
      assignments.push({ project_id: t.project.projectId, campaign_id: campaign['id'], user_id: userId, group: group as 'exposed' | 'holdout', assigned_at: assignedAt });
      const startDay = Date.parse(`${dayOf(assignedAt.getTime())}T00:00:00Z`);
      let converted = false;
      for (const [days, kindOf, segment] of [
        [-1, 'exited', 'dormant'],
        [0, 'exited', 'dormant'],
        [7, 'exited', 'dormant'],
        [8, 'exited', 'dormant'],
        [2, 'entered', 'dormant'],
        [2, 'exited', 'new-users'],
      ] as const) {
        if (rand() < 0.2) {
          transitions.push({ project_id: t.project.projectId, segment_key: segment, of: 'users' as const, member_id: userId, kind: kindOf, day: dayOf(startDay + days * DAY_MS), facts: '{}', model_version: 1 });
          if (kindOf === 'exited' && segment === 'dormant' && days >= 0 && days <= 7) converted = true;
        }
      }
      truth.push({ group, converted, shown: false, clicked: false, dismissed: false });
    }
    await t.app.store.db.insertInto('campaign_assignments').values(assignments).execute();
    await t.app.store.db.insertInto('segment_transitions').values(transitions).execute();
    const want = expected(truth);
    const results = await api('GET', `/v1/campaigns/${campaign['id']}/results`);
    expect(results['exposed']).toMatchObject({ users: want.exposed.users, converted: want.exposed.converted });
    expect(results['holdout']).toMatchObject({ users: want.holdout.users, converted: want.holdout.converted });
    expect(results['confidenceInterval']).toEqual({ level: 0.95, low: expect.closeTo(want.low, 10), high: expect.closeTo(want.high, 10) });
  });

  it('a campaign nobody was assigned to has empty groups and null figures', async () => {
    const campaign = await api('POST', '/v1/campaigns', { name: 'Empty', audience: { segments: ['dormant'] }, message: { title: 'a', body: 'b' }, goal: { kind: 'event', event: 'x', withinDays: 1 } });
    expect(await api('GET', `/v1/campaigns/${campaign['id']}/results`)).toEqual({
      campaignId: campaign['id'],
      goal: { kind: 'event', event: 'x', withinDays: 1 },
      exposed: { users: 0, shown: 0, clicked: 0, dismissed: 0, converted: 0, rate: null },
      holdout: { users: 0, converted: 0, rate: null },
      lift: null,
      relativeLift: null,
      confidenceInterval: null,
    });
  });
});
