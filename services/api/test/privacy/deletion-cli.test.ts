import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { initialisedDataDir } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';
import { findAnywhere } from './deletion-scan.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const runCli = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent' } });

describe('uptake user delete and account delete', () => {
  const dataDir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-delete-cli-')));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('deletes as the API does, prints the receipt, and refuses a bad id by name', async () => {
    const app = await buildApp(testConfig({ kind: 'pglite', dataDir }), { logger: pino({ level: 'silent' }) });
    const project = await createProject(app.store.db, { name: 'Cli' });
    const sent = await app.inject({
      method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(project.writeKey) },
      payload: { batch: [
        { type: 'identify', userId: 'u-cli', traits: { email: 'cli@example.com' } },
        { type: 'group', userId: 'u-cli', groupId: 'acct-cli', traits: { name: 'Cli Corp' } },
        { type: 'track', event: 'Go', userId: 'u-cli', properties: { accountId: 'acct-cli' } },
      ] },
    });
    expect(sent.json().rejected).toEqual([]);
    await app.close();

    const user = runCli(['user', 'delete', 'u-cli', '--data-dir', dataDir, '--json']);
    expect(user.status, user.stderr).toBe(0);
    const receipt = JSON.parse(user.stdout);
    expect(receipt).toMatchObject({ subject: 'user', status: 'completed', allowReturn: false, rows: { events: 3, users: 1 } });
    expect(user.stdout).not.toContain('u-cli');

    const account = runCli(['account', 'delete', 'acct-cli', '--data-dir', dataDir, '--allow-return']);
    expect(account.status, account.stderr).toBe(0);
    expect(account.stdout).toContain('Deleted the account');
    expect(account.stdout).toContain('--allow-return');

    const bad = runCli(['user', 'delete', 'u-other', '--data-dir', dataDir, '--project', 'nope']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--project');
    const missing = runCli(['user', 'delete', '--data-dir', dataDir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('userId');

    const reopened = await buildApp(testConfig({ kind: 'pglite', dataDir }), { logger: pino({ level: 'silent' }) });
    try {
      expect((await findAnywhere(reopened.store.db, ['u-cli', 'cli@example.com', 'acct-cli', 'Cli Corp'])).filter((line) => !line.endsWith('(0 rows)'))).toEqual([]);
      const again = await reopened.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(project.writeKey) }, payload: { batch: [{ type: 'track', event: 'Go', userId: 'u-cli' }, { type: 'group', userId: 'u2', groupId: 'acct-cli' }] } });
      expect(again.json().rejected.map((event: any) => event.errors[0].path)).toEqual(['userId']);
    } finally {
      await reopened.close();
    }
  }, 240_000);
});
