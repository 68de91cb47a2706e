/**
 * The kept score points and activity (docs/architecture.md, "Scores at scale"): concurrent
 * batches touching the same users' days folded while they arrive, fills racing ingestion, and
 * retired versions. Each time the points and active days kept must be exactly those a rebuild
 * makes from the stored events, and the answers those of the per-day counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { rebuildDerivedTables } from '../../src/derived/rebuild.ts';
import { createScorePointsWorker } from '../../src/derived/score-points-worker.ts';
import { fillActiveDays } from '../../src/derived/active-days.ts';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createRandom } from '../support/generate-data.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** Points rows (and kept activity) of a project once every queued day is folded (zero rows left out: a fold keeps one per touched day to lock). */
async function keptPoints(t: TestApp) {
  const db = t.app.store.db;
  while ((await foldScorePoints(db, t.project.projectId)) > 0);
  const users = await db.selectFrom('user_day_points').selectAll().where('project_id', '=', t.project.projectId).where('points', '<>', 0).orderBy('version').orderBy('day').orderBy('user_id').execute();
  const accounts = await db.selectFrom('account_day_points').selectAll().where('project_id', '=', t.project.projectId).orderBy('version').orderBy('day').orderBy('account_id').orderBy('user_id').execute();
  const totals = await db.selectFrom('account_day_totals').selectAll().where('project_id', '=', t.project.projectId).orderBy('version').orderBy('day').orderBy('account_id').execute();
  const activeDays = await db.selectFrom('user_active_days').select(['user_id', 'day']).where('project_id', '=', t.project.projectId).orderBy('user_id').orderBy('day').execute();
  const counts = await db.selectFrom('daily_active_users').select(['day', 'dau', 'wau', 'mau']).where('project_id', '=', t.project.projectId).orderBy('day').execute();
  const accountPairs = await db.selectFrom('account_active_days').select(['day', 'account_id', 'user_id']).where('project_id', '=', t.project.projectId).orderBy('day').orderBy('account_id').orderBy('user_id').execute();
  return { users, accounts, totals, activeDays, counts, accountPairs };
}

/** Batches of feature uses by a few users on a few days, naming one of two accounts or none, with joins and links among them. */
function contendedBatches(seed: number, batches: number) {
  const random = createRandom(seed);
  let sequence = 0;
  return Array.from({ length: batches }, () =>
    Array.from({ length: 25 }, () => {
      const user = `u${random.int(1, 4)}`;
      const timestamp = `${day(random.int(1, 3))}T${String(random.int(10, 20)).padStart(2, '0')}:00:00.000Z`;
      const messageId = `m${seed}-${++sequence}`;
      const kind = random.int(1, 20);
      if (kind === 1) return { type: 'group', messageId, userId: user, groupId: `acct-${random.int(1, 2)}`, timestamp };
      if (kind === 2) return { type: 'identify', messageId, userId: user, anonymousId: `anon-${random.int(1, 3)}`, timestamp };
      if (kind <= 5) return { type: 'track', messageId, anonymousId: `anon-${random.int(1, 3)}`, event: 'Report Created', timestamp };
      const context = random.chance(0.5) ? { groupId: `acct-${random.int(1, 2)}` } : {};
      return { type: 'track', messageId, userId: user, event: random.pick(['Report Created', 'Export', 'Invite Sent']), timestamp, context };
    }),
  );
}

describe.each(testDatabaseKinds)('kept score points on %s', (kind) => {
  let t: TestApp;
  const secret = () => ({ authorization: `Bearer ${t.project.secretKey}` });
  const send = async (batch: unknown[]) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(t.project.writeKey) }, payload: { batch } });
    expect(response.statusCode, response.body).toBe(200);
  };
  const ranking = async (model?: number) => {
    const response = await t.app.inject({ method: 'GET', url: `/v1/scores/users?asOf=${day(1)}&limit=100${model ? `&model=${model}` : ''}`, headers: secret() });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ items: unknown[] }>().items;
  };

  beforeAll(async () => {
    t = await createTestApp(kind, { scorePoints: { run: false } });
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 1)).toBe('ready');
    await fillActiveDays(t.app.store.db, t.project.projectId);
    // A shadow version with other weights and a low cap: both versions are kept by every batch.
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: secret(),
      payload: { features: { 'Report Created': { weight: 2.5, label: 'Reports' }, Export: { weight: 1, label: 'Exports' } }, windowDays: 30, dailyCap: 3, activate: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, 2)).toBe('ready');
  });
  afterAll(async () => t?.close());

  it('keeps exactly the points a rebuild makes when concurrent batches touch the same users and days', async () => {
    // Also one user's day through many single-event batches of a linked anonymousId that share
    // no row (each names its own account), so only the points row orders their transactions.
    await send([{ type: 'identify', messageId: 'solo-link', userId: 'u1', anonymousId: 'anon-solo', timestamp: `${day(5)}T12:00:00.000Z` }]);
    const solo = Array.from({ length: 80 }, (_, i) => [{ type: 'track', messageId: `solo-${i}`, anonymousId: 'anon-solo', event: 'Export', timestamp: `${day(2)}T12:00:00.000Z`, context: { groupId: `solo-${i}` } }]);
    // The worker folds while the batches arrive (and two folds at once at the end).
    t.app.scorePoints.start();
    await Promise.all([...contendedBatches(1, 40), ...solo].map(send));
    await Promise.all([foldScorePoints(t.app.store.db, t.project.projectId, 50), foldScorePoints(t.app.store.db, t.project.projectId, 50)]);
    await t.app.scorePoints.close();
    const kept = await keptPoints(t);
    expect(new Set(kept.users.map((row) => row.version))).toEqual(new Set([1, 2]));
    expect(kept.accounts.length).toBeGreaterThan(0);
    expect(kept.totals.length).toBeGreaterThan(0);
    expect(kept.counts.length).toBeGreaterThan(30);
    // Pairs of accounts named by events and of accounts joined (some joined after the user's days).
    expect(new Set(kept.accountPairs.map((row) => row.account_id))).toEqual(new Set(['acct-1', 'acct-2', ...solo.map((_, i) => `solo-${i}`)]));
    const before = [await ranking(), await ranking(2)];
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await keptPoints(t)).toEqual(kept);
    expect([await ranking(), await ranking(2)]).toEqual(before);
  });

  it('misses nothing stored while a new version and the kept activity are being filled', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: secret(),
      payload: { features: { 'Invite Sent': { weight: 4, label: 'Invites' }, 'Report Created': { weight: 1, label: 'Reports' } }, windowDays: 14, dailyCap: 2, activate: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    const batches = contendedBatches(2, 30);
    const [filled] = await Promise.all([fillScorePoints(t.app.store.db, t.project.projectId, 3), fillActiveDays(t.app.store.db, t.project.projectId), ...batches.map(send)]);
    expect(filled).toBe('ready');
    const kept = await keptPoints(t);
    expect(kept.users.some((row) => row.version === 3)).toBe(true);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await keptPoints(t)).toEqual(kept);
  });

  it('goes on after the last day a stopped fill committed, and misses nothing stored between', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: secret(),
      payload: { features: { Export: { weight: 2, label: 'Exports' }, 'Invite Sent': { weight: 1, label: 'Invites' } }, windowDays: 30, dailyCap: 4, activate: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    const version = created.json<{ version: number }>().version;
    // Stopped as a crash would stop it: the third day's commit is the last it makes.
    const committed: string[] = [];
    const stopped = fillScorePoints(t.app.store.db, t.project.projectId, version, (filledDay) => {
      committed.push(filledDay);
      if (committed.length === 3) throw new Error('stopped');
    });
    await expect(stopped).rejects.toThrow('stopped');
    const mark = await t.app.store.db.selectFrom('score_point_versions').select([sql<string>`filled_through::text`.as('day'), 'state']).where('project_id', '=', t.project.projectId).where('version', '=', version).executeTakeFirstOrThrow();
    expect(mark).toEqual({ day: committed[2], state: 'filling' });
    // Stored meanwhile: days before the mark (reaching the version through the queue) and after it.
    await Promise.all(contendedBatches(3, 10).map(send));
    await send([{ type: 'track', messageId: 'before-mark', userId: 'u7', event: 'Export', timestamp: `${committed[0]}T09:00:00.000Z` }]);
    const resumed: string[] = [];
    expect(await fillScorePoints(t.app.store.db, t.project.projectId, version, (filledDay) => resumed.push(filledDay))).toBe('ready');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((filledDay) => filledDay > committed[2]!)).toBe(true);
    const kept = await keptPoints(t);
    const beforeMark = await t.app.store.db.selectFrom('user_day_points').select('points').where('project_id', '=', t.project.projectId).where('version', '=', version).where('user_id', '=', 'u7').where(sql<boolean>`day = ${committed[0]}::date`).execute();
    expect(beforeMark).toEqual([{ points: 2 }]);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await keptPoints(t)).toEqual(kept);
  });

  it('counts each active day once when folds add days of the same user side by side', async () => {
    // Each user active on two days close together, queued apart: folds taking one day each run
    // at once (on Postgres in parallel), each reading the user's other day to count its own.
    const users = Array.from({ length: 12 }, (_, i) => `side-${i}`);
    await send(users.flatMap((userId) => [8, 10].map((n) => ({ type: 'track', messageId: `${userId}-${n}`, userId, event: 'Export', timestamp: `${day(n)}T12:00:00.000Z` }))));
    const foldOneByOne = async () => {
      while ((await foldScorePoints(t.app.store.db, t.project.projectId, 1)) > 0);
    };
    await Promise.all(Array.from({ length: 4 }, foldOneByOne));
    const kept = await keptPoints(t);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await keptPoints(t)).toEqual(kept);
  });

  it('forgets the points of a retired version, whose scores are then computed from the per-day counts', async () => {
    const before = await ranking(1);
    const activated = await t.app.inject({
      method: 'POST',
      url: '/v1/score-models',
      headers: secret(),
      payload: { features: { Export: { weight: 3, label: 'Exports' } }, windowDays: 30, dailyCap: 5, activate: true },
    });
    expect(activated.statusCode, activated.body).toBe(201);
    await send([{ type: 'track', messageId: 'after-retirement', userId: 'u9', event: 'Report Created', timestamp: `${day(1)}T12:00:00.000Z` }]);
    // Version 1 retired: dropped; 2, 3 and 4 (shadow) and 5 (active, filled by the worker) kept.
    const expected = [2, 3, 4, 5].map((version) => ({ version, state: 'ready' }));
    const kept = () => t.app.store.db.selectFrom('score_point_versions').select(['version', 'state']).where('project_id', '=', t.project.projectId).orderBy('version').execute();
    const worker = createScorePointsWorker(t.app.store.db, { run: true, intervalMs: 20 }, pino({ level: 'silent' }));
    worker.start();
    let versions = await kept();
    for (const deadline = Date.now() + 20_000; JSON.stringify(versions) !== JSON.stringify(expected) && Date.now() < deadline; versions = await kept()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await worker.close();
    expect(versions).toEqual(expected);
    const left = await t.app.store.db.selectFrom('user_day_points').select('version').where('project_id', '=', t.project.projectId).where('version', '=', 1).execute();
    expect(left).toEqual([]);
    // The event sent after the retirement counts in version 1's answers too (computed from the counts).
    const after = await ranking(1);
    expect(after).not.toEqual(before);
    await rebuildDerivedTables(t.app.store.db, t.app.changeTracker);
    expect(await ranking(1)).toEqual(after);
  });
});
