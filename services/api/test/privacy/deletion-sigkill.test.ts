import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { canRunPostgresCluster, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real `uptake serve` killed with SIGKILL in the middle of a deletion (2 rows per batch, so it
 * is mid-way when killed), Postgres stopped and started while it is down, then a new `uptake
 * serve`: its worker takes the deletion over once the dead one's lease ends; Postgres is stopped
 * again under it, and it still finishes. A private Postgres, because it is restarted.
 */
describe.skipIf(!canRunPostgresCluster())('a deletion whose server is killed and whose Postgres stops', () => {
  let cluster: PostgresCluster | undefined;
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const server of servers) server.child.kill('SIGKILL');
    cluster?.destroy();
  });

  it('is finished by the next server, leaving nothing of the person', async () => {
    cluster = await startPostgresCluster({ fsync: false });
    const database = { config: { kind: 'postgres' as const, url: cluster.url, poolSize: 3, queryTimeoutMs: 30_000 } };
    const env = { DATABASE_URL: database.config.url, UPTAKE_DELETION_BATCH_ROWS: '2', UPTAKE_DELETION_WAIT_MS: '0', UPTAKE_DELETION_LEASE_MS: '500', UPTAKE_DELETION_POLL_MS: '100', UPTAKE_WARM_FIGURES: '0', UPTAKE_SEGMENT_WATCH: '0', UPTAKE_WEBHOOK_DISPATCHER: '0' };
    const first = await startServeProcess(env);
    servers.push(first);
    let client = new pg.Client({ connectionString: database.config.url });
    await client.connect();
    try {
      const { createProject } = await import('../../src/projects/projects.queries.ts');
      const { openStore } = await import('../../src/db/connect.ts');
      const store = await openStore(database.config);
      const project = await createProject(store.db, { name: 'Killed' });
      await store.close();
      const batch = [
        { type: 'identify', userId: 'u-killed', anonymousId: 'anon-killed', traits: { email: 'killed@example.com' } },
        ...Array.from({ length: 60 }, (_, i) => ({ type: 'track', event: 'Go', userId: 'u-killed', messageId: `k-${String(i).padStart(3, '0')}`, timestamp: `2026-11-2${i % 4}T10:00:00Z`, properties: { email: 'killed@example.com' } })),
      ];
      const sent = await fetch(`${first.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${project.writeKey}` }, body: JSON.stringify({ batch }) });
      expect(sent.status).toBe(200);
      const requested = await fetch(`${first.url}/v1/users/u-killed`, { method: 'DELETE', headers: { authorization: `Bearer ${project.secretKey}` } });
      expect(requested.status).toBe(202);
      const { deletionId } = (await requested.json()) as { deletionId: string };
      // Kill it once some events are re-keyed, well before all are.
      for (let i = 0; i < 400; i++) {
        const { rows } = await client.query<{ n: number }>(`select coalesce((rows->>'events')::int, 0) as n from deletions`);
        if (rows[0]!.n > 0) break;
        await sleep(10);
      }
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      const { rows: mid } = await client.query<{ status: string; n: number }>(`select status, (rows->>'events')::int as n from deletions`);
      expect(mid[0]!.status).toBe('running');
      expect(mid[0]!.n).toBeLessThan(61);
      await client.end();
      cluster.stop();
      cluster.start();

      const second = await startServeProcess(env);
      servers.push(second);
      // Postgres stops again under the running server (its worker at work or about to be).
      await sleep(150);
      cluster.stop();
      await sleep(500);
      cluster.start();
      let receipt: { status: string; rows: Record<string, number> } = { status: 'running', rows: {} };
      for (let i = 0; i < 600 && receipt.status !== 'completed'; i++) {
        await sleep(100);
        const answer = await fetch(`${second.url}/v1/deletions/${deletionId}`, { headers: { authorization: `Bearer ${project.secretKey}` } });
        if (answer.status === 200) receipt = (await answer.json()) as typeof receipt;
      }
      client = new pg.Client({ connectionString: database.config.url });
      await client.connect();
      expect(receipt.status).toBe('completed');
      expect(receipt.rows['events']).toBe(61);
      const { rows: left } = await client.query(`select count(*)::int as n from events where user_id = 'u-killed' or anonymous_id = 'anon-killed' or properties::text like '%killed@example.com%'`);
      expect(left[0].n).toBe(0);
      const { rows: pending } = await client.query('select pending from deletions');
      expect(pending).toEqual([{ pending: null }]);
      await second.stop();
    } finally {
      await client.end().catch(() => undefined);
    }
  }, 120_000);
});
