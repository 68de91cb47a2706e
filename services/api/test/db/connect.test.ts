import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { openStore } from '../../src/db/connect.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase } from '../support/databases.ts';
import { testConfig } from '../support/test-app.ts';

// The session settings every pooled Postgres connection gets (src/db/connect.ts; docs/deploy.md,
// "Postgres settings that matter"): work_mem for the figures' aggregates, and no JIT.
describe.skipIf(!process.env['TEST_DATABASE_URL'])('the Postgres connections’ settings (needs TEST_DATABASE_URL)', () => {
  it('gives every pooled connection work_mem 64MB and jit off', async () => {
    const database = await createTestDatabase('postgres');
    const store = await openStore(database.config);
    try {
      // Three connections at once, so not one connection asked three times.
      const settings = await Promise.all(
        [1, 2, 3].map(() =>
          store.db.transaction().execute(async (trx) => {
            await sql`select pg_sleep(0.05)`.execute(trx);
            return (await sql<{ work_mem: string; jit: string; pid: number }>`select current_setting('work_mem') as work_mem, current_setting('jit') as jit, pg_backend_pid() as pid`.execute(trx)).rows[0]!;
          }),
        ),
      );
      expect(new Set(settings.map((row) => row.pid)).size).toBe(3);
      for (const row of settings) expect({ work_mem: row.work_mem, jit: row.jit }).toEqual({ work_mem: '64MB', jit: 'off' });
    } finally {
      await store.close();
      await database.drop();
    }
  });
});

// A request that waits past the pool's 3 s for a connection while every one is in use: the
// database is up and the instance busy, which its answer says (docs/api.md, "Errors").
describe.skipIf(!process.env['TEST_DATABASE_URL'])('every pooled connection in use (needs TEST_DATABASE_URL)', () => {
  it('answers 503 database_busy with Retry-After 1, then 200 once a connection is free', async () => {
    const database = await createTestDatabase('postgres');
    if (database.config.kind !== 'postgres') throw new Error('a Postgres database was asked for');
    const app = await buildApp(testConfig({ ...database.config, poolSize: 2 }), { logger: pino({ level: 'silent' }) });
    try {
      const { secretKey } = await createProject(app.store.db, { name: 'Busy' });
      // A day of its own each time: a figure already computed would be answered from memory.
      const read = (asOf: string) => app.inject({ method: 'GET', url: `/v1/nps?asOf=${asOf}`, headers: { authorization: `Bearer ${secretKey}` } });
      expect((await read('2026-01-01')).statusCode).toBe(200);
      const held = Promise.all([1, 2].map(() => sql`select pg_sleep(4.5)`.execute(app.store.db)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const busy = await read('2026-01-02');
      expect(busy.statusCode, busy.body).toBe(503);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.json<{ error: string }>().error).toBe('database_busy');
      await held;
      expect((await read('2026-01-03')).statusCode).toBe(200);
    } finally {
      await app.close();
      await database.drop();
    }
  }, 30_000);
});
