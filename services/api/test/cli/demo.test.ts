import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from '@uptake/protocol';
import { DEMO_FEATURES } from '../../src/demo/demo-catalogue.ts';
import { DEMO_PROFILES, generateDemoData, type DemoData } from '../../src/demo/demo-data.ts';
import { loadDemoEvents } from '../../src/demo/load-demo.ts';
import { createProgressLine } from '../../src/demo/progress.ts';
import { initialisedDataDir } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'uptake-demo-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const env = { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' };
const runCli = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });

describe('demo data generator', () => {
  const now = new Date('2026-03-18T10:30:00.000Z');

  it('is deterministic, valid protocol v1, never in the future, with unique messageIds', () => {
    const data = generateDemoData({ accounts: 12, days: 40, now });
    expect(generateDemoData({ accounts: 12, days: 40, now })).toEqual(data);
    expect(data.accounts).toHaveLength(12);
    expect(new Set(data.events.map((event) => event.messageId)).size).toBe(data.events.length);
    for (const event of data.events) {
      const validation = validateEvent(event);
      expect(validation.ok, JSON.stringify(event)).toBe(true);
      expect(Date.parse(event.timestamp)).toBeLessThanOrEqual(now.getTime());
    }
    expect(data.from).toBe('2026-02-07');
    expect(data.to).toBe('2026-03-18');
    // In time order, as an import sends them.
    expect(data.events.map((event) => event.timestamp)).toEqual(data.events.map((event) => event.timestamp).sort());
  });

  it('makes other ids for other options, so a 10-day demo never hides part of a 90-day one', () => {
    const small = generateDemoData({ accounts: 3, days: 20, now });
    const longer = generateDemoData({ accounts: 3, days: 21, now });
    const ids = new Set(small.events.map((event) => event.messageId));
    expect(longer.events.some((event) => ids.has(event.messageId))).toBe(false);
  });

  it('covers every profile in ten accounts; each account has seats, a champion, traits and NPS answers overall', () => {
    const data = generateDemoData({ accounts: 10, days: 90, now });
    expect(data.accounts.map((account) => account.profile).sort()).toEqual([...DEMO_PROFILES].sort());
    for (const account of data.accounts) {
      expect(account.seats).toBeGreaterThan(0);
      expect(account.champions.length).toBeGreaterThan(0);
      const group = data.events.find((event) => event.type === 'group' && event.groupId === account.accountId && event.traits?.['seats'] !== undefined);
      expect(group?.traits).toMatchObject({ name: account.name, seats: account.seats });
    }
    const champions = data.events.filter((event) => event.type === 'identify' && event.traits?.['isChampion'] === true);
    expect(champions.length).toBeGreaterThanOrEqual(10);
    const features = new Set(data.events.filter((event) => event.type === 'track' && !event.event!.startsWith('$')).map((event) => event.event));
    expect([...features].sort()).toEqual(DEMO_FEATURES.map((feature) => feature.event).sort());
    expect(data.events.filter((event) => event.event === '$nps_response').length).toBeGreaterThan(5);
  });

  it('the default size stays within what embedded PGlite loads in well under a minute', () => {
    const data = generateDemoData();
    expect(data.accounts).toHaveLength(100);
    expect(data.events.length).toBeGreaterThan(150_000);
    expect(data.events.length).toBeLessThanOrEqual(300_000);
  });
});

describe('progress line', () => {
  it('rewrites one line on a terminal, and writes one line per 10 % otherwise', () => {
    let clock = 0;
    const tty = { isTTY: true, text: '', write(text: string) { this.text += text; } };
    const line = createProgressLine(tty, 'Loading', () => clock);
    for (let done = 0; done <= 1000; done += 100) {
      clock += 150;
      line.update(done, 1000);
    }
    line.finish();
    expect(tty.text.split('\r\x1b[2K').filter(Boolean)).toHaveLength(11);
    expect(tty.text.endsWith('100 %  (1,000 / 1,000 events, 2 s)\n')).toBe(true);

    const log = { text: '', write(text: string) { this.text += text; } };
    const plain = createProgressLine(log, 'Loading', () => 0);
    for (let done = 0; done <= 1000; done += 25) plain.update(done, 1000);
    plain.finish();
    expect(log.text.split('\n').filter(Boolean)).toHaveLength(11);
    expect(log.text).not.toContain('\r');
  });
});

describe('loading the demo data through the ingestion path', () => {
  let t: TestApp;
  let data: DemoData;
  beforeAll(async () => {
    t = await createTestApp('pglite');
    data = generateDemoData({ accounts: 10, days: 70 });
  });
  afterAll(() => t.close());
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } }).then((res) => res.json());

  it('stores every event once; a second load reports duplicates and stores nothing', async () => {
    const progress: number[] = [];
    const first = await loadDemoEvents(t.app.store.db, t.app.changeTracker, t.project.projectId, data.events, { onProgress: (done) => progress.push(done), eventsPerCommit: 2000 });
    expect(first).toMatchObject({ events: data.events.length, accepted: data.events.length, duplicates: 0, rejected: 0, scoreModelVersion: 2, stopped: false });
    expect(progress.at(-1)).toBe(data.events.length);
    const second = await loadDemoEvents(t.app.store.db, t.app.changeTracker, t.project.projectId, data.events);
    expect(second).toMatchObject({ accepted: 0, duplicates: data.events.length, rejected: 0, scoreModelVersion: null });
    const { count } = await t.app.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('project_id', '=', t.project.projectId)
      .executeTakeFirstOrThrow();
    expect(count).toBe(data.events.length);
  });

  it('gives every play a member of the profile made for it, and a labelled score model', async () => {
    const of = (profile: string) => data.accounts.find((account) => account.profile === profile)!.accountId;
    const members = async (key: string) => ((await get(`/v1/segments/${key}/members?limit=1000`)).items as { accountId: string }[]).map((item) => item.accountId);
    expect(await members('low-utilization')).toContain(of('low-utilisation'));
    expect(await members('usage-drop')).toContain(of('usage-drop'));
    expect(await members('champion-disengaged')).toContain(of('quiet-champion'));
    expect(await members('low-engagement-after-onboarding')).toContain(of('slow-start'));
    expect(await members('top')).toContain(of('power'));
    expect(await members('rising-utilization')).toContain(of('rising'));

    const { models } = await get('/v1/score-models');
    const active = models.find((model: { status: string }) => model.status === 'active');
    expect(active.version).toBe(2);
    expect(active.features['Alert Set']).toMatchObject({ label: 'alerts set', valueText: expect.stringContaining('threshold') });
    const nps = await get('/v1/nps');
    expect(nps.responses).toBeGreaterThan(0);
  });

  it('stops between commits when asked, and a later load carries on', async () => {
    const other = await t.createProject('Stopped demo');
    const stop = new AbortController();
    const stopped = await loadDemoEvents(t.app.store.db, t.app.changeTracker, other.projectId, data.events, {
      eventsPerCommit: 500,
      signal: stop.signal,
      onProgress: (done) => done >= 1000 && stop.abort(),
    });
    expect(stopped).toMatchObject({ stopped: true, accepted: 1000 });
    const resumed = await loadDemoEvents(t.app.store.db, t.app.changeTracker, other.projectId, data.events);
    expect(resumed).toMatchObject({ stopped: false, accepted: data.events.length - 1000, duplicates: 1000 });
  });
});

describe('uptake demo and uptake start', () => {
  it('demo creates the project once and loads the data once', () => {
    const dataDir = initialisedDataDir(tempDir());
    const first = runCli(['demo', '--days', '10', '--accounts', '3', '--data-dir', dataDir]);
    expect(first.status, first.stderr).toBe(0);
    const keys = JSON.parse(readFileSync(join(dataDir, 'demo-project.json'), 'utf8'));
    expect(first.stdout).toContain(`Demo project  ${keys.projectId}  (created;`);
    const events = keys.demoData.events as number;
    expect(first.stdout).toContain(`accepted ${events.toLocaleString('en-US')}, duplicates 0, rejected 0`);
    expect(first.stderr).toContain('Loading demo data  100 %');

    const second = runCli(['demo', '--days', '10', '--accounts', '3', '--data-dir', dataDir]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`Demo project  ${keys.projectId}  (reused;`);
    expect(second.stdout).toContain(`Nothing new: the ${events.toLocaleString('en-US')} demo events were stored before (accepted 0, duplicates ${events.toLocaleString('en-US')}, rejected 0)`);

    // The data is generated for the anchor kept in the file, so a run on another day makes the same events.
    expect(keys.demoAnchor).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(generateDemoData({ days: 10, accounts: 3, now: new Date(keys.demoAnchor) }).events).toHaveLength(events);

    expect(runCli(['demo', '--days', 'ninety', '--data-dir', dataDir]).stderr).toContain('--days must be a whole number from 1 to 365');
  });

  const startServer = (dataDir: string) => {
    const child = spawn(process.execPath, [cli, 'start', '--port', '0', '--days', '5', '--accounts', '2', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<{ stdout: string; stderr: string; url: string }>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /running at (http:\/\/\S+)/.exec(stdout)?.[1];
        if (url && /Demo data {5}.+\n/.test(stdout)) resolve({ stdout, stderr, url });
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)));
    });
    return { child, ready };
  };
  const stopServer = async (child: ChildProcess) => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    return exited;
  };

  it('start loads the demo data on the first start only, keeps the keys, and refuses a second process', async () => {
    const dataDir = tempDir();
    const first = startServer(dataDir);
    const started = await first.ready;
    const keys = JSON.parse(readFileSync(join(dataDir, 'demo-project.json'), 'utf8'));
    expect(started.stdout).toContain(`Secret key    ${keys.secretKey}`);
    expect(started.stderr).toContain('First start: loading 5 days of demo data');
    expect(started.stdout).toMatch(/Demo data {5}[\d,]+ events \(accepted [\d,]+, duplicates 0, rejected 0\): 2 accounts/);
    // The start's warm-up ran before the demo project had data; the loaded demo's figures are
    // warmed before its line is printed, so the dashboard's first calls compute none of them.
    const groupsComputed = async () => Number(/^uptake_figure_lookups_total\{cache="query",figure="groups",result="computed"\} (\d+)$/m.exec(await (await fetch(`${started.url}/metrics`)).text())?.[1] ?? 0);
    const warmed = await groupsComputed();
    expect(warmed, 'the demo project\'s groups warmed after the load').toBeGreaterThan(0);
    for (const path of ['/v1/segments', '/v1/groups']) {
      const response = await fetch(`${started.url}${path}`, { headers: { authorization: `Bearer ${keys.secretKey}` } });
      expect(response.status, path).toBe(200);
    }
    expect(await groupsComputed(), 'the groups served from the warm-up').toBe(warmed);

    const locked = runCli(['demo', '--data-dir', dataDir]);
    expect(locked.status).toBe(1);
    expect(locked.stderr).toContain(`the data dir ${dataDir} is in use by another Uptake process`);
    expect(await stopServer(first.child)).toBe(0);

    const second = startServer(dataDir);
    const restarted = await second.ready;
    expect(restarted.stdout).toContain(`Demo project  ${keys.projectId}`);
    expect(restarted.stdout).toContain(`Demo data     ${keys.demoData.events.toLocaleString('en-US')} events, 2 accounts`);
    expect(restarted.stderr).not.toContain('Loading demo data');
    expect(await stopServer(second.child)).toBe(0);
    // Two servers started, one loading the demo: 23 s on a quiet machine, over 60 s beside a load.
  }, 180_000);
});
