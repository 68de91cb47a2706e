import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp } from '../support/test-app.ts';

// The segment watcher is part of every serving app unless turned off (docs/plays.md, Settings).
describe('segment watch setting', () => {
  it('is on unless UPTAKE_SEGMENT_WATCH=0, and polls every 500 ms unless told', () => {
    expect(loadConfig({})).toMatchObject({ segmentWatch: true, segmentWatchPollMs: 500 });
    expect(loadConfig({ UPTAKE_SEGMENT_WATCH: '0' }).segmentWatch).toBe(false);
    expect(loadConfig({ UPTAKE_SEGMENT_WATCH: '', UPTAKE_SEGMENT_WATCH_POLL_MS: '2000' })).toMatchObject({ segmentWatch: true, segmentWatchPollMs: 2000 });
    expect(() => loadConfig({ UPTAKE_SEGMENT_WATCH: 'yes' })).toThrow('invalid environment variable UPTAKE_SEGMENT_WATCH: must be 1, 0, true or false');
    expect(() => loadConfig({ UPTAKE_SEGMENT_WATCH_POLL_MS: '10' })).toThrow('invalid environment variable UPTAKE_SEGMENT_WATCH_POLL_MS');
  });

  it.each(testDatabaseKinds)('runs in the app on %s: an event’s segment entry is recorded without being asked, and close stops it', async (kind) => {
    const t = await createTestApp(kind, { segmentWatch: true, segmentWatchPollMs: 50 });
    try {
      expect(t.app.segmentWatcher).not.toBeNull();
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: basicAuth(t.project.writeKey) },
        payload: { sentAt: new Date().toISOString(), batch: [{ type: 'track', event: '$nps_response', userId: 'unhappy', properties: { score: 3 }, messageId: 'nps-1', timestamp: new Date().toISOString() }] },
      });
      expect(response.statusCode, response.body).toBe(200);
      const recorded = async () =>
        (await sql<{ kind: string }>`select kind from segment_transitions where project_id = ${t.project.projectId} and segment_key = 'nps-detractors' and member_id = 'unhappy'`.execute(t.app.store.db)).rows.map((row) => row.kind);
      // Eventually (no time asserted): the first check may be the baseline that already holds the user.
      let kinds: string[] = [];
      for (let wait = 0; kinds.length === 0 && wait < 400; wait++) {
        kinds = await recorded();
        if (kinds.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(kinds.length).toBe(1);
      expect(['baseline', 'entered']).toContain(kinds[0]);
    } finally {
      await t.close();
    }
    const off = await createTestApp(kind);
    expect(off.app.segmentWatcher).toBeNull();
    await off.close();
  }, 60_000);
});
