/**
 * Figures kept per day (score tables, the project's activity series) recompute only the days new
 * events fell on, and every day when a new identity link or membership re-attributes old events.
 * Read after each batch, so every step starts from cached parts; each answer must equal the
 * oracle's over all events stored so far.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { oracleActiveSeries, oracleRanking, type OracleEvent } from '../support/oracle.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const at = (day: string, time = '12:00') => `2026-10-${day}T${time}:00.000Z`;
let sequence = 0;
const track = (who: { userId?: string; anonymousId?: string }, day: string, event = 'Report Created', groupId?: string): OracleEvent => ({
  type: 'track',
  messageId: `fd-${++sequence}`,
  ...who,
  event,
  timestamp: at(day),
  ...(groupId === undefined ? {} : { context: { groupId } }),
});
const group = (who: { userId?: string; anonymousId?: string }, groupId: string, day: string): OracleEvent => ({ type: 'group', messageId: `fd-${++sequence}`, ...who, groupId, timestamp: at(day, '08:00'), traits: { seats: 5 } });

const STEPS: Array<[string, OracleEvent[]]> = [
  ['first events', [group({ userId: 'a' }, 'A', '01'), track({ userId: 'a' }, '02'), track({ userId: 'b' }, '03'), track({ userId: 'c' }, '10', 'Export', 'B')]],
  ['new events on the last day only', [track({ userId: 'a' }, '10'), track({ userId: 'b' }, '10', 'Export')]],
  ['late events on an earlier day', [track({ userId: 'c' }, '02'), track({ userId: 'd' }, '02', 'Export', 'B'), ...Array.from({ length: 25 }, () => track({ userId: 'b' }, '03'))]],
  ['an anonymous visitor, not linked yet', [track({ anonymousId: 'anon' }, '04'), track({ anonymousId: 'anon' }, '05', 'Export')]],
  ['the identify that links it (its old days now count for a)', [{ type: 'identify', messageId: `fd-${++sequence}`, userId: 'a', anonymousId: 'anon', timestamp: at('06') }]],
  ['b joins A: its old events now count for A', [group({ userId: 'b' }, 'A', '09')]],
  ['an older group call moves the join earlier', [group({ userId: 'b' }, 'A', '03')]],
];
const ASOF = '2026-10-10';

describe.each(testDatabaseKinds)('figures kept per day on %s', (kind) => {
  let t: TestApp;
  let project: ProjectKeys;
  beforeAll(async () => {
    t = await createTestApp(kind);
    project = await t.createProject('per-day figures');
  });
  afterAll(async () => t?.close());

  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${project.secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    return response.json() as Record<string, any>;
  };

  it('equal the oracle after every batch, whichever days it touched', async () => {
    const stored: OracleEvent[] = [];
    for (const [step, batch] of STEPS) {
      const sent = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
      expect(sent.statusCode, sent.body).toBe(200);
      stored.push(...batch);
      for (const of of ['users', 'accounts'] as const) {
        const answer = await get(`/v1/scores/${of}?asOf=${ASOF}&limit=100`);
        const ids = answer['items'].map((item: Record<string, unknown>) => ({ id: item[of === 'users' ? 'userId' : 'accountId'], score: item['score'], percentile: item['percentile'] }));
        expect(ids, `${of} after "${step}"`).toEqual(oracleRanking(stored, of, { asOf: ASOF }));
      }
      const series = await get(`/v1/metrics/active?from=2026-10-01&to=${ASOF}`);
      expect(series['days'], `activity after "${step}"`).toEqual(oracleActiveSeries(stored, { from: '2026-10-01', to: ASOF }).days);
    }
  });
});
