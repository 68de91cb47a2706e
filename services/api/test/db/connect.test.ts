import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openStore } from '../../src/db/connect.ts';
import { createTestDatabase } from '../support/databases.ts';

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
