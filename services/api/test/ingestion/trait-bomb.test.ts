/**
 * A write key is public, so traits must stay bounded whatever it sends (docs/protocol.md,
 * Limits): trait keys per call are capped at validation, merged trait keys and bytes per user
 * and account at store time, each refusal named in the batch answer's `rejected` while the
 * batch's other events are stored. A late (older) call merges key by key against the row, never
 * reading the id's stored calls, and segment facts hold only the traits they read.
 */
import { LIMITS, type BatchResponse } from '@uptake/protocol';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrossProjects } from '../../src/db/across-projects.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createChangeTracker } from '../../src/derived/change-tracker.ts';
import { createFigureCache } from '../../src/query/figure-cache.ts';
import { findScoreModel } from '../../src/query/score-models.queries.ts';
import { segmentFacts } from '../../src/query/segments-facts.queries.ts';
import { segmentThresholds } from '../../src/query/segments.queries.ts';
import { up as traitStamps } from '../../src/db/migrations/2026_12_05_100000_trait_stamps.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

type Event = Record<string, unknown>;

const HOUR_MS = 3_600_000;
/** Three days ago, so no timestamp is clamped to the receive time. */
const BASE = Date.now() - 72 * HOUR_MS;
const at = (second: number) => new Date(BASE + second * 1000).toISOString();

let sequence = 0;
const identify = (userId: string, second: number, traits: Record<string, unknown>): Event => ({ type: 'identify', messageId: `i-${++sequence}`, userId, timestamp: at(second), traits });
const group = (groupId: string, second: number, traits: Record<string, unknown>): Event => ({
  type: 'group', messageId: `g-${++sequence}`, userId: 'member', groupId, timestamp: at(second), traits,
});
const track = (userId: string, second: number): Event => ({ type: 'track', event: 'Report Created', messageId: `t-${++sequence}`, userId, timestamp: at(second) });

/** `count` keys from `from` on: `{ k<from>: from, … }`. */
const keys = (from: number, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${from + i}`, from + i]));

describe.each(testDatabaseKinds)('trait caps on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const send = async (project: ProjectKeys, batch: Event[]): Promise<BatchResponse> => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { batch } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const userRow = (project: ProjectKeys, userId: string) =>
    t.app.store.db.selectFrom('users').select(['traits']).where('project_id', '=', project.projectId).where('user_id', '=', userId).executeTakeFirst();
  const accountRow = (project: ProjectKeys, accountId: string) =>
    t.app.store.db.selectFrom('accounts').select(['traits', 'seats']).where('project_id', '=', project.projectId).where('account_id', '=', accountId).executeTakeFirst();
  const storedCount = async (project: ProjectKeys, type: string) => {
    const result = await sql<{ n: number }>`select count(*)::int as n from events where project_id = ${project.projectId} and type = ${type}`.execute(t.app.store.db);
    return result.rows[0]!.n;
  };

  it('refuses a call with too many traits or too long a trait name, by name, and stores the rest of the batch', async () => {
    const project = await t.createProject();
    const answer = await send(project, [
      identify('u', 1, keys(0, LIMITS.maxTraitsPerCall + 1)),
      track('u', 2),
      group('A', 3, { ['n'.repeat(LIMITS.maxTraitNameLength + 1)]: 1 }),
      identify('u', 4, keys(0, LIMITS.maxTraitsPerCall)),
    ]);
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toEqual([
      { index: 0, messageId: expect.any(String), errors: [{ path: 'traits', message: `sets ${LIMITS.maxTraitsPerCall + 1} traits; at most ${LIMITS.maxTraitsPerCall} per call (maxTraitsPerCall)` }] },
      {
        index: 2,
        messageId: expect.any(String),
        errors: [{ path: 'traits', message: `a trait name is ${LIMITS.maxTraitNameLength + 1} characters; at most ${LIMITS.maxTraitNameLength} (maxTraitNameLength)` }],
      },
    ]);
    expect(Object.keys((await userRow(project, 'u'))!.traits)).toHaveLength(LIMITS.maxTraitsPerCall);
    expect(await accountRow(project, 'A')).toBeUndefined();
  });

  it('survives a trait bomb: thousands of identify calls with new keys, then late ones, within the caps', async () => {
    const project = await t.createProject();
    const total = LIMITS.maxTraitKeys + 500;
    const rejected: BatchResponse['rejected'] = [];
    let accepted = 0;
    for (let from = 0; from < total; from += 250) {
      // 250 identify calls of one new key each, and a track event the caps do not concern.
      const batch = [...Array.from({ length: 250 }, (_, i) => identify('bomb', 10 + from + i, keys(from + i, 1))), track('bomb', 10 + from)];
      const answer = await send(project, batch);
      accepted += answer.accepted;
      rejected.push(...answer.rejected);
    }
    expect(accepted).toBe(LIMITS.maxTraitKeys + total / 250);
    expect(rejected).toHaveLength(total - LIMITS.maxTraitKeys);
    for (const refusal of rejected) {
      expect(refusal.errors).toEqual([{ path: 'traits', message: `the user's merged traits would hold ${LIMITS.maxTraitKeys + 1} keys; at most ${LIMITS.maxTraitKeys} per user (maxTraitKeys)` }]);
    }
    const row = await userRow(project, 'bomb');
    expect(Object.keys(row!.traits)).toHaveLength(LIMITS.maxTraitKeys);
    expect(row!.traits).toMatchObject({ k0: 0, [`k${LIMITS.maxTraitKeys - 1}`]: LIMITS.maxTraitKeys - 1 });
    expect(row!.traits).not.toHaveProperty(`k${LIMITS.maxTraitKeys}`);
    // Refused calls are not stored: the events hold what the traits hold.
    expect(await storedCount(project, 'identify')).toBe(LIMITS.maxTraitKeys);

    // A late call's work must not depend on the history: with the stored calls gone, it still
    // merges key by key against the row (k3, set at second 13, takes its value; k600, set at
    // second 610, keeps its own) and leaves the other keys. Reading the history, it would fold
    // the late calls alone.
    await sql`delete from events where project_id = ${project.projectId} and type = 'identify'`.execute(t.app.store.db);
    const late = await send(project, [identify('bomb', 500, { k3: 'late', k600: 'late' }), identify('bomb', 0, { k4: null })]);
    expect(late).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const after = await userRow(project, 'bomb');
    expect(Object.keys(after!.traits)).toHaveLength(LIMITS.maxTraitKeys);
    expect(after!.traits).toMatchObject({ k1: 1, k3: 'late', k4: 4, k600: 600, [`k${LIMITS.maxTraitKeys - 1}`]: LIMITS.maxTraitKeys - 1 });
    // At the cap, a late call with a new key is refused like any other.
    const over = await send(project, [identify('bomb', 0, { name: 'Late' })]);
    expect(over.rejected[0]?.errors[0]?.message).toContain('(maxTraitKeys)');

    // Segment facts hold the traits they read, not the 2,000.
    const db = t.app.store.db;
    const model = await findScoreModel(db, project.projectId);
    const facts = await segmentFacts(db, createFigureCache({ versions: createChangeTracker(), maxStalenessMs: 0 }), project.projectId, model!, await segmentThresholds(db, project.projectId), new Date().toISOString().slice(0, 10));
    const bomb = facts.users.find((user) => user.userId === 'bomb');
    expect(bomb).toBeDefined();
    expect(Object.keys(bomb!.traits).every((key) => ['name', 'email', 'isChampion'].includes(key))).toBe(true);
  });

  it('caps an account the same way, keeping seats', async () => {
    const project = await t.createProject();
    const total = LIMITS.maxTraitKeys + 300;
    const rejected: BatchResponse['rejected'] = [];
    await send(project, [group('A', 1, { seats: 12 })]);
    for (let from = 1; from < total; from += 100) {
      // 25 group calls of 4 new keys each.
      const answer = await send(project, Array.from({ length: 25 }, (_, i) => group('A', 10 + from + 4 * i, keys(from + 4 * i, 4))));
      rejected.push(...answer.rejected);
    }
    expect(rejected.length).toBeGreaterThan(0);
    for (const refusal of rejected) expect(refusal.errors[0]!.message).toMatch(/^the account's merged traits would hold \d+ keys; at most 2000 per account \(maxTraitKeys\)$/);
    // seats and k1…k1996 (the call bringing k1997…k2000 would make 2,001).
    const row = await accountRow(project, 'A');
    expect(Object.keys(row!.traits)).toHaveLength(LIMITS.maxTraitKeys - 3);
    // A late numeric seats under the newer one does not change it; the key is stamped as well.
    await sql`delete from events where project_id = ${project.projectId} and type = 'group'`.execute(t.app.store.db);
    expect((await send(project, [group('A', 0, { seats: 3 })])).rejected).toEqual([]);
    expect(await accountRow(project, 'A')).toMatchObject({ seats: 12, traits: { seats: 12 } });
  });

  it('refuses the call that would take the merged traits past the byte cap', async () => {
    const project = await t.createProject();
    const big = 'x'.repeat(30_000);
    const answer = await send(project, [identify('heavy', 1, { a: big }), identify('heavy', 2, { b: big }), identify('heavy', 3, { c: big }), identify('heavy', 4, { a: 'short' })]);
    expect(answer.accepted).toBe(3);
    expect(answer.rejected).toHaveLength(1);
    expect(answer.rejected[0]).toMatchObject({ index: 2, errors: [{ path: 'traits' }] });
    const bytes = JSON.stringify({ a: big, b: big, c: big }).length;
    expect(answer.rejected[0]!.errors[0]!.message).toBe(`the user's merged traits would be ${bytes} bytes of JSON; at most ${LIMITS.maxTraitBytes} per user (maxTraitBytes)`);
    // Calls are merged in call order: the smaller `a` came after the refusal and fits.
    expect((await userRow(project, 'heavy'))!.traits).toEqual({ a: 'short', b: big });
    // The single-event route answers 400 naming the field.
    expect((await send(project, [identify('heavy', 5, { c: big })])).rejected).toEqual([]);
    const single = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: `Bearer ${project.writeKey}` }, payload: { userId: 'heavy', messageId: 'single', traits: { d: 'x'.repeat(6000) } } });
    expect(single.statusCode).toBe(400);
    expect(single.json()).toMatchObject({ error: 'invalid_event', path: 'traits', message: expect.stringContaining('(maxTraitBytes)') });
  });

  it('keeps concurrent batches on one user within the cap together', async () => {
    const project = await t.createProject();
    // Eight requests of 5 calls × 100 new keys: 4,000 keys offered at once.
    const requests = Array.from({ length: 8 }, (_, r) => Array.from({ length: 5 }, (_, i) => identify('raced', 10 + r * 5 + i, keys((r * 5 + i) * 100, 100))));
    const answers = await Promise.all(requests.map((batch) => send(project, batch)));
    const acceptedKeys = new Set<string>();
    answers.forEach((answer, r) => {
      const refused = new Set(answer.rejected.map((refusal) => refusal.index));
      requests[r]!.forEach((call, index) => {
        if (!refused.has(index)) for (const key of Object.keys(call['traits'] as object)) acceptedKeys.add(key);
      });
    });
    const stored = Object.keys((await userRow(project, 'raced'))!.traits);
    expect(stored.length).toBeLessThanOrEqual(LIMITS.maxTraitKeys);
    expect(new Set(stored)).toEqual(acceptedKeys);
    expect(answers.reduce((sum, answer) => sum + answer.rejected.length, 0)).toBe(40 - LIMITS.maxTraitKeys / 100);
  });

  it('migration 2026_12_05_100000 backfills the stamps ingestion keeps', async () => {
    const project = await t.createProject();
    // Late calls, ties on the timestamp, seats and onboardedAt set and then nulled.
    await send(project, [identify('m', 5, { name: 'New', role: 'owner' }), group('A', 5, { name: 'Acme', seats: 10, onboardedAt: '2026-10-05' })]);
    await send(project, [identify('m', 1, { name: 'Old', email: 'old@acme.io' }), identify('m', 5, { role: 'tie' }), group('A', 9, { seats: null, onboardedAt: null })]);
    await send(project, [group('A', 2, { seats: 3, plan: 'trial' }), group('B', 4, {}), identify('n', 3, {})]);
    const db = t.app.store.db;
    const stamps = async () => ({
      users: await db.selectFrom('users').select(['user_id', 'trait_stamps']).where('project_id', '=', project.projectId).orderBy('user_id').execute(),
      accounts: await db.selectFrom('accounts').select(['account_id', 'trait_stamps']).where('project_id', '=', project.projectId).orderBy('account_id').execute(),
    });
    const kept = await stamps();
    expect(kept.accounts.find((row) => row.account_id === 'A')?.trait_stamps).toMatchObject({ seats: [BASE + 5000, expect.any(Number), expect.any(String)] });
    // The migration again, on every project's rows: work across projects (on Citus, across shards).
    await acrossProjects(db, async (trx) => {
      await sql`alter table users drop column trait_stamps`.execute(trx);
      await sql`alter table accounts drop column trait_stamps`.execute(trx);
      await traitStamps(trx as unknown as Kysely<unknown>);
    });
    expect(await stamps()).toEqual(kept);
  });
});
