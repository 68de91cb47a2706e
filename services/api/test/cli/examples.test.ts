import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { generateDemoData } from '../../src/demo/demo-data.ts';
import { ensureDemoProject } from '../../src/demo/demo-project.ts';
import { loadDemoEvents } from '../../src/demo/load-demo.ts';
import { enqueueWebhookMessages } from '../../src/webhooks/outbox.ts';
import { playText } from '../../src/plays/deciding-facts.ts';
import { initialisedDataDir } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

// The runnable examples, run as their READMEs say (node <script>.ts), against the real service on
// 127.0.0.1 with a small demo dataset.
const run = promisify(execFile);
const example = (path: string) => fileURLToPath(new URL(`../../../../examples/${path}`, import.meta.url));

let t: TestApp;
let host: string;
beforeAll(async () => {
  t = await createTestApp('pglite');
  host = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => t.close());

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.project.secretKey}` } }).then((res) => res.json());

describe('examples/backend-plays', () => {
  it("prints this week's plays with a reason for each account, as the segments say", async () => {
    const data = generateDemoData({ accounts: 10, days: 70 });
    await loadDemoEvents(t.app.store.db, t.app.changeTracker, t.project.projectId, data.events);
    const { stdout } = await run(process.execPath, [example('backend-plays/plays.ts')], {
      env: { ...process.env, UPTAKE_HOST: host, UPTAKE_SECRET_KEY: t.project.secretKey },
    });
    const sections = new Map(
      stdout.split('\n\n').filter((block) => block.includes(' — ')).map((block) => {
        const [heading, ...lines] = block.split('\n');
        return [heading!.split(' — ')[0]!, lines.map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('…'))];
      }),
    );
    expect([...sections.keys()]).toEqual(['Low licence utilisation', 'Usage drop', 'Champion gone quiet', 'Low engagement after onboarding', 'Ask for a reference']);
    const listed = (title: string) => sections.get(title)!.map((line) => line.split(/\s+/)[0]);
    const members = async (key: string) => ((await get(`/v1/segments/${key}/members?limit=1000`)).items as { accountId: string }[]).map((item) => item.accountId).sort();

    expect(listed('Low licence utilisation').sort()).toEqual(await members('low-utilization'));
    for (const line of sections.get('Low licence utilisation')!) expect(line).toMatch(/utilisation \d+ % of \d+ seats? \(\d+ active users? in 30 days\)$/);
    expect(listed('Usage drop').sort()).toEqual(await members('usage-drop'));
    for (const line of sections.get('Usage drop')!) expect(line).toMatch(/\d+ active user-days in the last 30 days, down \d+ % from \d+$/);
    expect(listed('Champion gone quiet').sort()).toEqual(await members('champion-disengaged'));
    for (const line of sections.get('Champion gone quiet')!) expect(line).toMatch(/champion \S+ last active \d{4}-\d\d-\d\d \(\d+ days ago\)/);
    expect(listed('Low engagement after onboarding').sort()).toEqual(await members('low-engagement-after-onboarding'));
    for (const line of sections.get('Low engagement after onboarding')!) expect(line).toMatch(/onboarded \d{4}-\d\d-\d\d \(\d+ days ago\), score \d+ — percentile \d+/);
    expect(listed('Ask for a reference').sort()).toEqual(await members('top'));
    for (const line of sections.get('Ask for a reference')!) expect(line).toMatch(/score \d+ \(percentile \d+\).*(NPS -?\d+ from \d+ answers?|no NPS answers yet)/);
    // The profiles made for the plays are there.
    const quiet = data.accounts.find((account) => account.profile === 'quiet-champion')!;
    expect(sections.get('Champion gone quiet')!.some((line) => line.startsWith(quiet.accountId) && line.includes(quiet.champions[0]!))).toBe(true);
  });

  it('says what is wrong when the key is refused', async () => {
    const failed = await run(process.execPath, [example('backend-plays/plays.ts')], { env: { ...process.env, UPTAKE_HOST: host, UPTAKE_SECRET_KEY: 'sk_wrong' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('Uptake answered 401') });
  });
});

describe('examples/backend-plays receiver', () => {
  it('registers itself, verifies each delivery and prints the plays as they arrive; refuses a forged one', async () => {
    const hooks = await createTestApp('pglite', { webhooks: { dispatch: true, allowPrivate: true, pollMs: 50 } });
    const hooksHost = await hooks.app.listen({ host: '127.0.0.1', port: 0 });
    const child = spawn(process.execPath, [example('backend-plays/receiver.ts'), '--register'], {
      env: { ...process.env, UPTAKE_HOST: hooksHost, UPTAKE_SECRET_KEY: hooks.project.secretKey, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 200 && !pattern.test(stdout); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stdout, stderr).toMatch(pattern);
      return pattern.exec(stdout)!;
    };
    try {
      const [, receiverUrl] = await waitFor(/receiving on (\S+)/);
      const facts = { utilisation: 0.42, seats: 25, activeUsers30d: 10.5 };
      await hooks.app.store.db.transaction().execute((trx) =>
        enqueueWebhookMessages(trx, hooks.project.projectId, [
          { messageId: 'msg_tr_1', type: 'segment.entered', segment: 'low-utilization', data: { segment: { key: 'low-utilization', name: 'Low utilisation', of: 'accounts', builtIn: true }, accountId: 'acme', day: '2026-12-05', facts, play: playText('low-utilization', 'acme', facts) }, at: new Date() },
        ]),
      );
      await hooks.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(hooks.project.writeKey) }, payload: { batch: [{ type: 'track', event: '$nps_response', userId: 'u1', properties: { score: 2, comment: 'slow', accountId: 'acme' } }] } });
      await waitFor(/acme entered Low utilisation — acme: 42 % of 25 seats active in 30 days\. Play: find who has a seat .* {2}\[msg_tr_1\]/);
      await waitFor(/NPS 2 \(detractor\) from u1 at acme: "slow"/);
      const forged = await fetch(receiverUrl!, { method: 'POST', headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, body: '{}' });
      expect(forged.status).toBe(401);
    } finally {
      child.kill();
      await hooks.close();
    }
  });
});

describe('examples/segment-compatible', () => {
  it('@segment/analytics-node, unchanged but for host, stores identify, group and track', async () => {
    const project = await t.createProject('Segment');
    const { stdout } = await run(process.execPath, [example('segment-compatible/send.ts')], {
      env: { ...process.env, UPTAKE_HOST: host, UPTAKE_WRITE_KEY: project.writeKey, UPTAKE_SECRET_KEY: project.secretKey },
    });
    expect(stdout).toContain(`POST ${host}/v1/batch → 200`);
    expect(stdout).toContain('Stored, as the query API shows:');

    const rows = await t.app.store.db
      .selectFrom('events')
      .select(['type', 'event', 'user_id', 'account_id', 'context', 'properties'])
      .where('project_id', '=', project.projectId)
      .orderBy('type')
      .orderBy('event')
      .execute();
    expect(rows.map((row) => [row.type, row.event, row.user_id, row.account_id])).toEqual([
      ['group', null, 'grace.hopper', 'hopper-labs'],
      ['identify', null, 'grace.hopper', null],
      ['track', 'Dashboard Shared', 'grace.hopper', 'hopper-labs'],
      ['track', 'Report Created', 'grace.hopper', 'hopper-labs'],
    ]);
    for (const row of rows) expect(row.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
    const utilisation = await t.app.inject({ method: 'GET', url: '/v1/accounts/hopper-labs/utilisation', headers: { authorization: `Bearer ${project.secretKey}` } });
    expect(utilisation.json()).toMatchObject({ seats: 10, activeUsers30d: 1, utilisation: 0.1 });
  });
});

describe('the example pages (/examples/…)', () => {
  it('are off unless asked for: start turns them on, serve leaves them off, a flag or UPTAKE_EXAMPLES decides', () => {
    expect(loadConfig({}).examples).toBe(false);
    expect(loadConfig({}, {}, { examples: true }).examples).toBe(true); // uptake start
    expect(loadConfig({}, {}, { examples: false }).examples).toBe(false); // uptake serve
    expect(loadConfig({}, { examples: true }, { examples: false }).examples).toBe(true); // serve --examples
    expect(loadConfig({ UPTAKE_EXAMPLES: '1' }, {}, { examples: false }).examples).toBe(true);
    expect(loadConfig({ UPTAKE_EXAMPLES: 'true' }).examples).toBe(true);
    expect(loadConfig({ UPTAKE_EXAMPLES: '0' }, {}, { examples: true }).examples).toBe(false); // start without them
    expect(loadConfig({ UPTAKE_EXAMPLES: '' }, {}, { examples: true }).examples).toBe(true);
    expect(() => loadConfig({ UPTAKE_EXAMPLES: 'yes' })).toThrow('invalid environment variable UPTAKE_EXAMPLES: must be 1, 0, true or false');
  });

  it.each([false, true])('with examples %s, are served only when on, even when the data dir holds a demo project', async (examples) => {
    const dataDir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-examples-flag-')));
    const app = await createTestApp('pglite', { database: { kind: 'pglite', dataDir }, examples });
    try {
      const demo = await ensureDemoProject(app.app.store.db, dataDir);
      const batch = [
        { type: 'identify', messageId: 'flag-i', userId: 'ana', traits: { name: 'Ana' } },
        { type: 'track', messageId: 'flag-t', userId: 'ana', event: 'Report Created' },
      ];
      expect((await app.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${demo.writeKey}` }, payload: { batch } })).statusCode).toBe(200);
      const index = await app.app.inject({ method: 'GET', url: '/examples/' });
      // The bundled apps, and the React app's client-side route (served the same page, so a reload there works).
      const pages = await Promise.all(
        ['/examples/bundler-app/?user=ana', '/examples/react/?user=ana', '/examples/react/feedback?user=ana'].map((url) => app.app.inject({ method: 'GET', url })),
      );
      if (examples) {
        expect(index.statusCode).toBe(200);
        expect(index.body).toContain('Uptake browser examples');
        expect(index.body).toContain('/examples/react/');
        for (const page of pages) {
          // Rendered for ana (200), or "not built" (503) on a clone that has not run `./uptake start`.
          expect([200, 503]).toContain(page.statusCode);
          if (page.statusCode === 200) expect(page.body).toContain('"userHash"');
        }
      } else {
        expect(index.statusCode).toBe(404);
        for (const page of pages) {
          expect(page.statusCode).toBe(404);
          expect(page.body).not.toContain('userHash');
        }
      }
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
