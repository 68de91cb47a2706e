import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, initialisedDataDir, testDatabaseKinds, type TestDatabaseKind } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';
import { DELETION_STEPS } from '../../src/privacy/deletion-steps.ts';
import { fillActiveDays } from '../../src/derived/active-days.ts';
import { foldScorePoints } from '../../src/derived/score-points.ts';
import { findAnywhere } from './deletion-scan.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function databaseOf(kind: TestDatabaseKind): Promise<{ config: Config['database']; drop(): Promise<void> }> {
  if (kind === 'postgres') return createTestDatabase(kind);
  const dir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-deletion-')));
  return { config: { kind: 'pglite', dataDir: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

// messageIds are kept by a deletion (the SDK's are random): these name no one.
const events = (userId: string, anonymousId: string, email: string, m = userId === 'u-gone' ? 'm1' : 'm2') => [
  { type: 'identify', userId, anonymousId, messageId: `${m}-i`, timestamp: '2026-11-20T09:00:00Z', traits: { email } },
  { type: 'group', userId, groupId: 'acct-1', messageId: `${m}-g`, timestamp: '2026-11-20T09:00:00Z', traits: { seats: 3 } },
  { type: 'page', anonymousId, messageId: `${m}-p`, timestamp: '2026-11-20T08:00:00Z', context: { email } },
  ...Array.from({ length: 40 }, (_, i) => ({
    type: 'track', event: `Feature ${i % 4}`, userId, messageId: `${m}-t${String(i).padStart(2, '0')}`,
    timestamp: `2026-11-${20 + (i % 4)}T1${i % 10}:00:00Z`, properties: { accountId: 'acct-1', email },
  })),
];

/**
 * A worker that stops dead mid-deletion (the config's test hook: as a killed process, its lease
 * held, its deletion unfinished), then a new app on the same database: the new app's worker
 * takes the deletion over once the lease ends and finishes it, with the same pseudonym for the
 * rows the first one re-keyed (the figures prove it: a split person would count twice).
 */
describe.each(testDatabaseKinds)('a deletion interrupted mid-way on %s', (kind) => {
  const opened: FastifyInstance[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const app of opened) await app.close().catch(() => undefined);
    await drop?.();
  });

  it('is finished by the next start, and leaves the figures as they were', async () => {
    const database = await databaseOf(kind);
    drop = database.drop;
    const settings = { batchRows: 4, leaseMs: 300, pollMs: 50, waitMs: 0 };
    const first = await buildApp(testConfig(database.config, { deletions: { ...settings, stopAfterBatches: 4 } }), { logger: pino({ level: 'silent' }) });
    opened.push(first);
    const project = await createProject(first.store.db, { name: 'Crash' });
    const auth = { authorization: `Bearer ${project.secretKey}` };
    const sent = await first.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(project.writeKey) }, payload: { batch: [...events('u-gone', 'anon-gone', 'gone@example.com'), ...events('u-kept', 'anon-kept', 'kept@example.com')] } });
    expect(sent.json().rejected).toEqual([]);
    const figuresUrl = '/v1/metrics/active?from=2026-11-20&to=2026-11-23';
    const before = (await first.inject({ method: 'GET', url: figuresUrl, headers: auth })).json();
    const accountBefore = (await first.inject({ method: 'GET', url: '/v1/accounts/acct-1/score?asOf=2026-11-23', headers: auth })).json();

    const requested = await first.inject({ method: 'DELETE', url: '/v1/users/u-gone', headers: auth });
    expect(requested.statusCode).toBe(202);
    const { deletionId } = requested.json();
    expect(requested.json().status).toBe('running');
    // The worker stops after 4 batches: the deletion stays unfinished, part of the rows re-keyed.
    let receipt: any;
    for (let i = 0; i < 200; i++) {
      receipt = (await first.inject({ method: 'GET', url: `/v1/deletions/${deletionId}`, headers: auth })).json();
      if ((receipt.rows.events ?? 0) > 0) break;
      await sleep(25);
    }
    await sleep(200);
    receipt = (await first.inject({ method: 'GET', url: `/v1/deletions/${deletionId}`, headers: auth })).json();
    expect(receipt.status).toBe('running');
    expect(receipt.rows.events).toBeGreaterThan(0);
    expect(receipt.rows.events).toBeLessThan(43);
    expect((await findAnywhere(first.store.db, ['gone@example.com'])).filter((line) => !line.endsWith('(0 rows)')).length).toBeGreaterThan(0);
    await first.close();

    const second = await buildApp(testConfig(database.config, { deletions: settings }), { logger: pino({ level: 'silent' }) });
    opened.push(second);
    for (let i = 0; i < 1200 && receipt.status !== 'completed'; i++) {
      await sleep(25);
      receipt = (await second.inject({ method: 'GET', url: `/v1/deletions/${deletionId}`, headers: auth })).json();
    }
    expect(receipt.status).toBe('completed');
    expect(receipt.rows.events).toBe(43);
    expect(receipt.rows.users).toBe(1);
    const traces = (await findAnywhere(second.store.db, ['u-gone', 'anon-gone', 'gone@example.com'])).filter((line) => !line.endsWith('(0 rows)'));
    expect(traces).toEqual([]);
    const pending = await second.store.db.selectFrom('deletions').select(['pending']).where('project_id', '=', project.projectId).execute();
    expect(pending).toEqual([{ pending: null }]);
    expect((await second.inject({ method: 'GET', url: figuresUrl, headers: auth })).json()).toEqual(before);
    const accountAfter = JSON.stringify((await second.inject({ method: 'GET', url: '/v1/accounts/acct-1/score?asOf=2026-11-23', headers: auth })).json());
    expect(accountAfter.replace(/deleted:[0-9a-f]{32}/g, 'u-gone')).toEqual(JSON.stringify(accountBefore));
  });
});

/**
 * A deletion in flight across an upgrade that adds a step before those it had done: its progress
 * names the steps done, so the new one still runs (a step index would skip it).
 */
describe.each(testDatabaseKinds)('a deletion in flight across an upgrade that adds a step on %s', (kind) => {
  const opened: FastifyInstance[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const app of opened) await app.close().catch(() => undefined);
    await drop?.();
  });

  it('runs the steps not done, wherever they stand in the list', async () => {
    const database = await databaseOf(kind);
    drop = database.drop;
    const settings = { batchRows: 50, leaseMs: 300, pollMs: 50, waitMs: 0 };
    // No score-points worker: the steps marked done below did not re-key the queued days, which a fold would take in again.
    const first = await buildApp(testConfig(database.config, { deletions: { ...settings, worker: false }, scorePoints: { run: false } }), { logger: pino({ level: 'silent' }) });
    opened.push(first);
    const project = await createProject(first.store.db, { name: 'Upgrade' });
    const auth = { authorization: `Bearer ${project.secretKey}` };
    const sent = await first.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(project.writeKey) }, payload: { batch: [...events('u-gone', 'anon-gone', 'gone@example.com'), ...events('u-kept', 'anon-kept', 'kept@example.com')] } });
    expect(sent.json().rejected).toEqual([]);
    await fillActiveDays(first.store.db, project.projectId);
    while ((await foldScorePoints(first.store.db, project.projectId)) > 0);
    const pairs = await first.store.db.selectFrom('account_active_days').select('day').where('project_id', '=', project.projectId).where('user_id', '=', 'u-gone').execute();
    expect(pairs.length).toBeGreaterThan(0);
    const requested = await first.inject({ method: 'DELETE', url: '/v1/users/u-gone', headers: auth });
    const { deletionId } = requested.json();
    // As a version without the account_active_days step would leave it: every step up to
    // nps_responses.user done, the new one among them not.
    const names = DELETION_STEPS.filter((step) => step.subject === 'user').map((step) => step.name);
    const done = names.slice(0, names.indexOf('nps_responses.user') + 1).filter((name) => name !== 'account_active_days');
    await first.store.db.updateTable('deletions').set({ progress: JSON.stringify({ done }) }).where('deletion_id', '=', deletionId).execute();
    await first.close();

    const second = await buildApp(testConfig(database.config, { deletions: settings, scorePoints: { run: false } }), { logger: pino({ level: 'silent' }) });
    opened.push(second);
    let receipt: any;
    for (let i = 0; i < 400 && receipt?.status !== 'completed'; i++) {
      await sleep(25);
      receipt = (await second.inject({ method: 'GET', url: `/v1/deletions/${deletionId}`, headers: auth })).json();
    }
    expect(receipt.status).toBe('completed');
    expect(receipt.rows.account_active_days).toBeGreaterThan(0);
    expect(await second.store.db.selectFrom('account_active_days').select('day').where('project_id', '=', project.projectId).where('user_id', '=', 'u-gone').execute()).toEqual([]);
    // The steps marked done did not run again: the events still name the person.
    expect(receipt.rows.events ?? 0).toBe(0);
  });
});
