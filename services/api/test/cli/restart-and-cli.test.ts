import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import { openStore } from '../../src/db/connect.ts';
import { DataDirLockedError } from '../../src/db/data-dir-lock.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { initialisedDataDir } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dirs: string[] = [];
/** A data dir PGlite already initialised (initdb is not what these tests are about; demo.test.ts starts on an empty one). */
const tempDir = () => {
  const dir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-test-')));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const runCli = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

describe('embedded PGlite across restarts', () => {
  it('keeps acknowledged events, and a retry after the restart stores nothing twice', async () => {
    const dataDir = tempDir();
    const config = testConfig({ kind: 'pglite', dataDir });
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'track', event: 'Report Created', userId: `u${i % 3}`, messageId: `restart-${i}` }));

    const first = await buildApp(config, { logger: pino({ level: 'silent' }) });
    const { writeKey, projectId } = await createProject(first.store.db, { name: 'Restart' });
    const stored = await first.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch } });
    expect(stored.json()).toEqual({ accepted: 30, duplicates: 0, rejected: [] });
    await first.close();

    const second = await buildApp(config, { logger: pino({ level: 'silent' }) });
    try {
      const retried = await second.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey) }, payload: { batch } });
      expect(retried.json()).toEqual({ accepted: 0, duplicates: 30, rejected: [] });
      const rows = await second.store.db.selectFrom('events').select('message_id').where('project_id', '=', projectId).execute();
      expect(rows.map((row) => row.message_id).sort()).toEqual(batch.map((event) => event.messageId).sort());
    } finally {
      await second.close();
    }
  });

  it('refuses a second process on the same data dir', async () => {
    const dataDir = tempDir();
    const holder = await openStore({ kind: 'pglite', dataDir });
    try {
      await expect(openStore({ kind: 'pglite', dataDir })).rejects.toThrow(DataDirLockedError);
      const result = runCli(['project', 'create', '--name', 'X', '--data-dir', dataDir]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`the data dir ${dataDir} is in use by another Uptake process (pid ${process.pid})`);
    } finally {
      await holder.close();
    }
    // Released on close.
    const again = await openStore({ kind: 'pglite', dataDir });
    await again.close();
  });
});

describe('uptake CLI', () => {
  it('project create --json prints the keys once; migrate is idempotent', () => {
    const dataDir = tempDir();
    expect(runCli(['migrate', '--data-dir', dataDir]).stdout).toContain('applied: 2026_11_23_120000_create_core');
    expect(runCli(['migrate', '--data-dir', dataDir]).stdout).toContain('schema is up to date');
    const created = runCli(['project', 'create', '--name', 'Acme', '--json', '--data-dir', dataDir]);
    expect(created.status, created.stderr).toBe(0);
    const keys = JSON.parse(created.stdout);
    expect(Object.keys(keys).sort()).toEqual(['identitySecret', 'projectId', 'secretKey', 'writeKey']);
    expect(keys.writeKey).toMatch(/^wk_/);
    expect(keys.secretKey).toMatch(/^sk_[\w-]{43}$/);
  });

  it('rejects an unknown command with the usage', () => {
    const result = runCli(['frobnicate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown command: frobnicate');
    expect(result.stderr).toContain('project create --name');
  });

  /** Runs a serving command until its URL shows on stdout; `stop` sends SIGTERM and resolves with the exit code. */
  const serving = async (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [cli, ...args, '--port', '0'], {
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /(?:listening on|running at) (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const stop = () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    };
    return { url, output: () => output, stop };
  };

  it('serve answers on its port and stops cleanly on SIGTERM', async () => {
    const server = await serving(['serve', '--data-dir', tempDir()]);
    expect((await (await fetch(`${server.url}/healthz`)).json())).toEqual({ status: 'ok' });
    expect(await server.stop()).toBe(0);
  });

  it('serves the example pages under start, and under serve only with --examples or UPTAKE_EXAMPLES=1', async () => {
    const dataDir = tempDir();
    // A data dir with the demo project (demo-project.json), as after a first `uptake start`.
    const demo = runCli(['demo', '--days', '1', '--accounts', '1', '--data-dir', dataDir]);
    expect(demo.status, demo.stderr).toBe(0);
    const examplesStatus = async (args: string[], env: Record<string, string> = {}) => {
      const server = await serving([...args, '--data-dir', dataDir], env);
      try {
        return { status: (await fetch(`${server.url}/examples/`)).status, banner: server.output() };
      } finally {
        await server.stop();
      }
    };
    expect((await examplesStatus(['serve'])).status).toBe(404);
    expect((await examplesStatus(['serve', '--examples'])).status).toBe(200);
    expect((await examplesStatus(['serve'], { UPTAKE_EXAMPLES: '1' })).status).toBe(200);
    const started = await examplesStatus(['start']);
    expect(started.status).toBe(200);
    expect(started.banner).toContain('/examples/script-tag/');
    const withoutExamples = await examplesStatus(['start'], { UPTAKE_EXAMPLES: '0' });
    expect(withoutExamples.status).toBe(404);
    expect(withoutExamples.banner).not.toContain('/examples/');
    // Six CLI processes, each migrating and building: ~40 s quiet, near 60 s on a busy machine.
  }, 180_000);
});
