import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { openStore } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ensureDemoProject } from '../../src/demo/demo-project.ts';
import { doctorExitCode, type Check } from '../../src/doctor/check.ts';
import { configChecks, listensBeyondLoopback } from '../../src/doctor/config-checks.ts';
import { runDoctor } from '../../src/doctor/doctor.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, initialisedDataDir, testDatabaseKinds, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { testConfig } from '../support/test-app.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'uptake-doctor-'));
  dirs.push(dir);
  return dir;
};
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** An empty database of the kind: a new PGlite data dir (created, not migrated) or a new Postgres database. */
async function emptyDatabase(kind: TestDatabaseKind): Promise<Config['database']> {
  if (kind === 'pglite') return { kind: 'pglite', dataDir: initialisedDataDir(tempDir()) };
  const database = await createTestDatabase('postgres');
  databases.push(database);
  return database.config;
}

async function migratedDatabase(kind: TestDatabaseKind): Promise<Config['database']> {
  const database = await emptyDatabase(kind);
  const store = await openStore(database);
  await migrateToLatest(store.db);
  await store.close();
  return database;
}

/** `uptake doctor` as a process, against the database as the service would be configured. */
function runCli(database: Config['database'], env: Record<string, string> = {}) {
  const args = database.kind === 'pglite' ? ['doctor', '--data-dir', database.dataDir] : ['doctor'];
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    cwd: tempDir(),
    env: { ...process.env, HOST: '127.0.0.1', DATABASE_URL: database.kind === 'postgres' ? database.url : '', UPTAKE_METRICS_TOKEN: '', UPTAKE_EXAMPLES: '', ...env },
  });
}

const line = (checks: Check[], subject: string) => checks.filter((check) => check.subject === subject);

describe.each(testDatabaseKinds)('uptake doctor on %s', (kind) => {
  // One migrated database for the tests below, in order: projects are added last.
  let database: Config['database'];
  beforeAll(async () => {
    database = await migratedDatabase(kind);
  });

  it('passes on a fresh migrated database (exit 0), naming what it checked', async () => {
    const result = runCli(database);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/^fail/m);
    expect(result.stdout).toMatch(/^ok +database +.* answers$/m);
    expect(result.stdout).toMatch(/^ok +migrations +all \d+ applied/m);
    expect(result.stdout).toMatch(/^ok +citus +not installed/m);
    expect(result.stdout).toMatch(/^ok +clock +within 2 s of the database/m);
    expect(result.stdout).toMatch(/^warn projects +no project yet — fix: `uptake project create --name <name>`/m);
  }, 120_000);

  it('fails on an unmigrated database (exit 1), naming the migrations to apply', async () => {
    const empty = await emptyDatabase(kind);
    const result = runCli(empty);
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^fail migrations +\d+ of \d+ migrations not applied: 2026_11_23_120000_create_core, .* — fix: `uptake migrate`/m);
  }, 120_000);

  it('warns when the database clock is more than 2 s from this machine', async () => {
    const ahead = await runDoctor(testConfig(database), { keysDir: tempDir(), now: () => Date.now() - 5000 });
    expect(line(ahead, 'clock')).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^the database clock is 5\.\d s ahead of this machine's/) })]);
    const behind = await runDoctor(testConfig(database), { keysDir: tempDir(), now: () => Date.now() + 3000 });
    expect(line(behind, 'clock')[0]!.message).toMatch(/^the database clock is 3\.\d s behind/);
    expect(doctorExitCode(behind)).toBe(0);
  });

  it('warns of projects open to any origin or without identity verification, and fails on the demo keys', async () => {
    const keysDir = tempDir();
    // PGlite is one process: the store is closed before each doctor run.
    const withStore = async <T>(work: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> => {
      const store = await openStore(database);
      try {
        return await work(store);
      } finally {
        await store.close();
      }
    };
    const open = await withStore(async (store) => {
      await createProject(store.db, { name: 'Guarded', allowedOrigins: ['https://app.example.com'] });
      return createProject(store.db, { name: 'Open' });
    });
    let checks = await runDoctor(testConfig(database), { keysDir });
    expect(line(checks, 'origins')).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining(`${open.projectId} (Open)`) })]);
    expect(line(checks, 'origins')[0]!.message).not.toContain('Guarded');
    expect(line(checks, 'identity')[0]).toMatchObject({ level: 'warn', fix: expect.stringContaining('--require-user-hash on') });
    expect(line(checks, 'keys')[0]).toMatchObject({ level: 'ok' });
    expect(doctorExitCode(checks)).toBe(0);

    const demo = await withStore((store) => ensureDemoProject(store.db, keysDir));
    checks = await runDoctor(testConfig(database), { keysDir });
    expect(line(checks, 'keys')).toEqual([
      expect.objectContaining({ level: 'fail', message: expect.stringContaining(`${demo.projectId} (Demo) is the demo project of \`uptake start\``), fix: expect.stringContaining(`rotate-key --secret --project ${demo.projectId}`) }),
    ]);
    expect(doctorExitCode(checks)).toBe(1);
  });
});

describe('uptake doctor without a database', () => {
  it('fails naming an unreachable Postgres, without its password', async () => {
    const checks = await runDoctor(testConfig({ kind: 'postgres', url: 'postgres://uptake:hunter2@127.0.0.1:1/uptake', poolSize: 2, queryTimeoutMs: 1000 }), { keysDir: tempDir() });
    const database = line(checks, 'database')[0]!;
    expect(database).toMatchObject({ level: 'fail', message: expect.stringContaining('Postgres at 127.0.0.1:1/uptake cannot be reached'), fix: expect.stringContaining('DATABASE_URL') });
    expect(JSON.stringify(checks)).not.toContain('hunter2');
    expect(doctorExitCode(checks)).toBe(1);
  });

  it('fails on a PGlite data dir that does not exist, and does not create it', async () => {
    const dataDir = join(tempDir(), 'nothing-here');
    const checks = await runDoctor(testConfig({ kind: 'pglite', dataDir }), { keysDir: dataDir });
    expect(line(checks, 'database')[0]).toMatchObject({ level: 'fail', message: expect.stringContaining(`no database in ${dataDir}`) });
    expect(spawnSync('ls', [dataDir]).status).not.toBe(0);
  });

  it('says a running service holds a PGlite data dir rather than failing', async () => {
    const dataDir = initialisedDataDir(tempDir());
    const holder = await openStore({ kind: 'pglite', dataDir });
    try {
      const checks = await runDoctor(testConfig({ kind: 'pglite', dataDir }), { keysDir: dataDir });
      expect(line(checks, 'database')[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('is in use by another Uptake process') });
      expect(doctorExitCode(checks)).toBe(0);
    } finally {
      await holder.close();
    }
  });
});

describe('uptake doctor: settings (config-checks.ts)', () => {
  const config = (env: Record<string, string>) => loadConfig({ DATABASE_URL: 'postgres://db.internal/uptake', ...env });
  const find = (env: Record<string, string>, subject: string) => configChecks(config(env)).filter((check) => check.subject === subject);

  it('knows which addresses reach beyond this machine', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.2', 'uptake.example.com']) expect(listensBeyondLoopback(host), host).toBe(true);
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) expect(listensBeyondLoopback(host), host).toBe(false);
  });

  it('asks for UPTAKE_METRICS_TOKEN only when listening beyond loopback', () => {
    expect(find({ HOST: '0.0.0.0' }, 'metrics')).toEqual([expect.objectContaining({ level: 'warn', fix: expect.stringContaining('UPTAKE_METRICS_TOKEN') })]);
    expect(find({ HOST: '0.0.0.0', UPTAKE_METRICS_TOKEN: 'a'.repeat(32) }, 'metrics')[0]!.level).toBe('ok');
    expect(find({}, 'metrics')[0]!.level).toBe('ok');
  });

  it('fails on example pages served to the world and on the crash-test setting; warns of the rest', () => {
    expect(find({ HOST: '0.0.0.0', UPTAKE_EXAMPLES: '1' }, 'examples')[0]!.level).toBe('fail');
    expect(find({ UPTAKE_EXAMPLES: '1' }, 'examples')).toEqual([]);
    expect(find({ UPTAKE_DELETION_STOP_AFTER_BATCHES: '2' }, 'deletions')[0]!.level).toBe('fail');
    expect(find({ UPTAKE_RATE_LIMIT_PER_SECOND: '0', UPTAKE_AUTH_FAILURES_PER_SECOND: '0' }, 'rate limits')[0]).toMatchObject({
      level: 'warn',
      message: 'off: UPTAKE_RATE_LIMIT_PER_SECOND, UPTAKE_AUTH_FAILURES_PER_SECOND=0',
    });
    expect(find({ UPTAKE_WEBHOOK_ALLOW_PRIVATE: '1' }, 'webhooks')[0]!.level).toBe('warn');
    expect(find({ UPTAKE_TRUST_PROXY: 'true' }, 'proxy')[0]!.level).toBe('warn');
    expect(find({ UPTAKE_STORE_IP: '1' }, 'privacy')[0]!.level).toBe('warn');
    expect(find({ DATABASE_QUERY_TIMEOUT_MS: '0' }, 'database')[0]!.level).toBe('warn');
    expect(find({ HOST: '0.0.0.0' }, 'public url')[0]).toMatchObject({ level: 'warn', fix: expect.stringContaining('UPTAKE_PUBLIC_URL') });
    expect(find({ HOST: '0.0.0.0', UPTAKE_PUBLIC_URL: 'http://uptake.example.com' }, 'public url')[0]!.message).toContain('not https');
    expect(find({ HOST: '0.0.0.0', UPTAKE_PUBLIC_URL: 'https://uptake.example.com' }, 'public url')[0]!.level).toBe('ok');
    expect(loadConfig({ DATABASE_URL: '', HOST: '0.0.0.0' }).database.kind).toBe('pglite');
    expect(configChecks(loadConfig({ HOST: '0.0.0.0' })).filter((check) => check.subject === 'database')[0]!.fix).toContain('DATABASE_URL');
    // The defaults on loopback: nothing to fix.
    expect(doctorExitCode(configChecks(config({})))).toBe(0);
    expect(configChecks(config({})).filter((check) => check.level !== 'ok')).toEqual([]);
  });

  it('refuses a short or spaced UPTAKE_METRICS_TOKEN without echoing it', () => {
    expect(() => loadConfig({ UPTAKE_METRICS_TOKEN: 'short' })).toThrow(/^invalid environment variable UPTAKE_METRICS_TOKEN: must be 16 to 256 printable ASCII characters/);
    expect(() => loadConfig({ UPTAKE_METRICS_TOKEN: 'has a space in the middle' })).toThrow('UPTAKE_METRICS_TOKEN');
    expect(loadConfig({ UPTAKE_METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });
});
