import pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

const waitFor = async (what: string, done: () => Promise<boolean> | boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

// A check can take longer than the 10 s Fastify gives a `preClose` hook (a refresh of the segment
// facts at 50 M events under load, docs/benchmarks.md); stopping the app then must still end
// cleanly (docs/plays.md, "When checks run"). Postgres only: a second session holds the lock that
// keeps the check waiting, and PGlite has one connection.
describe.skipIf(!testDatabaseKinds.includes('postgres'))('closing the app while a segment check waits on the database', () => {
  it('ends cleanly: the check gives up, records nothing, and the store closes once its read returns', async () => {
    const database = await createTestDatabase('postgres');
    const url = database.config.kind === 'postgres' ? database.config.url : '';
    const app = await buildApp(testConfig(database.config, { segmentWatch: true, segmentWatchPollMs: 50 }), { logger: pino({ level: 'silent' }) });
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    const count = async (table: 'segment_watches' | 'segment_transitions', projectId: string) => Number((await blocker.query(`select count(*) as n from ${table} where project_id = $1`, [projectId])).rows[0].n);
    let closing: Promise<void> | undefined;
    try {
      const project = await createProject(app.store.db, { name: 'Stopping' });
      await waitFor('the first check (baseline)', async () => (await count('segment_watches', project.projectId)) > 0);
      const watchesBefore = await count('segment_watches', project.projectId);
      const transitionsBefore = await count('segment_transitions', project.projectId);

      // The next check's first read waits on this lock for as long as the test holds it.
      await blocker.query('begin');
      await blocker.query('lock table segment_watches in access exclusive mode');
      const response = await app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: basicAuth(project.writeKey) },
        payload: { sentAt: new Date().toISOString(), batch: [{ type: 'track', event: '$nps_response', userId: 'unhappy', properties: { score: 3 }, messageId: 'nps-1', timestamp: new Date().toISOString() }] },
      });
      expect(response.statusCode, response.body).toBe(200);
      await waitFor('the check to wait on the lock', async () => Number((await blocker.query(`select count(*) as n from pg_locks where not granted and relation = 'segment_watches'::regclass`)).rows[0].n) > 0);

      const started = Date.now();
      closing = app.close();
      // Past the watcher's stop (at most 3 s), well before Fastify's 10 s: the store is closing,
      // its pool waiting for the check's read to return.
      await waitFor('the store to close', () => app.store.pool.ending, 9_000);
      expect(Date.now() - started).toBeLessThan(9_000);
      await blocker.query('rollback');
      await closing;

      // The check read the lock's release, then gave up: nothing recorded.
      expect(await count('segment_watches', project.projectId)).toBe(watchesBefore);
      expect(await count('segment_transitions', project.projectId)).toBe(transitionsBefore);
    } finally {
      await blocker.query('rollback').catch(() => {});
      await blocker.end();
      await (closing ?? app.close()).catch(() => {});
      await database.drop();
    }
  }, 60_000);
});
