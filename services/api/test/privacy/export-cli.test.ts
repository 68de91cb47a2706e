/**
 * `uptake export` as a process, on both databases: it writes exactly what `GET /v1/events/export`
 * answers for the same range and format (stdout or --out), and a bad flag is an exit 1 naming it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, initialisedDataDir, testDatabaseKinds } from '../support/databases.ts';
import { testConfig } from '../support/test-app.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe.each(testDatabaseKinds)('uptake export on %s', (kind) => {
  it('writes what the route answers, to stdout or a file, and names a bad flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uptake-export-'));
    dirs.push(dir);
    const testDb = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const database: Config['database'] = testDb ? testDb.config : { kind: 'pglite', dataDir: initialisedDataDir(join(dir, 'data')) };
    const env = { ...process.env, DATABASE_URL: database.kind === 'postgres' ? database.url : '', LOG_LEVEL: 'warn' };
    const run = (args: string[]) => spawnSync(process.execPath, [cli, 'export', ...(database.kind === 'pglite' ? ['--data-dir', database.dataDir] : []), ...args], { encoding: 'utf8', env });
    try {
      const app = await buildApp(testConfig(database), { logger: pino({ level: 'silent' }) });
      const project = await createProject(app.store.db, { name: 'CLI' });
      const batch = Array.from({ length: 600 }, (_, index) => ({
        type: 'track', messageId: `cli-${String(index).padStart(4, '0')}`, event: index % 5 === 0 ? '=cmd()' : 'Report Created', userId: `u${index % 9}`,
        timestamp: new Date(Date.UTC(2026, 10, 1 + (index % 20), 10)).toISOString(), properties: { index, text: 'a,"b"\nc' },
      }));
      for (let i = 0; i < batch.length; i += 300) {
        const response = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch: batch.slice(i, i + 300) } });
        expect(response.statusCode).toBe(200);
      }
      const fromRoute = async (format: string) =>
        (await app.inject({ method: 'GET', url: `/v1/events/export?from=2026-11-03&to=2026-11-15&format=${format}`, headers: { authorization: `Bearer ${project.secretKey}` } })).body;
      const routeCsv = await fromRoute('csv');
      const routeNdjson = await fromRoute('ndjson');
      // PGlite's data dir is one process's at a time.
      await app.close();

      const csv = run(['--project', project.projectId, '--from', '2026-11-03', '--to', '2026-11-15', '--format', 'csv']);
      expect(csv.status, csv.stderr).toBe(0);
      expect(csv.stdout).toBe(routeCsv);
      expect(csv.stdout.split('\r\n').length).toBeGreaterThan(300);

      const out = join(dir, 'events.ndjson');
      const ndjson = run(['--from', '2026-11-03', '--to', '2026-11-15', '--out', out]);
      expect(ndjson.status, ndjson.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(routeNdjson);

      for (const [args, flag] of [
        [['--from', '2026-11-40', '--to', '2026-11-15'], '--from'],
        [['--from', '2026-11-03'], '--to'],
        [['--from', '2026-11-03', '--to', '2026-11-15', '--format', 'xml'], '--format'],
        [['--from', '2026-11-15', '--to', '2026-11-03'], '--from'],
      ] as const) {
        const bad = run([...args]);
        expect(bad.status, bad.stderr).toBe(1);
        expect(bad.stderr).toContain(`uptake: ${flag}:`);
      }
    } finally {
      await testDb?.drop();
    }
  }, 120_000);
});
