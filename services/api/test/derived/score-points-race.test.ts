/**
 * A day queued again while a fold has taken it (docs/architecture.md, "Scores at scale"): a batch
 * storing an event of a user's day that is already queued, committing while a fold takes that
 * entry off the queue and recomputes the day, must leave the day queued again, or the fold's
 * points (read before the batch committed) would miss the event for good. Real Postgres only:
 * PGlite runs one transaction at a time, so the two never overlap there.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import type { StoredEvent } from '../../src/derived/stored-event.ts';
import { updateDerivedTables } from '../../src/derived/update-derived.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const kinds = testDatabaseKinds.filter((kind) => kind === 'postgres');

describe.skipIf(kinds.length === 0)('a day queued again while a fold takes it, on postgres', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { scorePoints: { run: false } });
    await fillScorePoints(t.app.store.db, t.project.projectId, 1);
  });
  afterAll(async () => t?.close());

  /** One event of `day` for `userId`, named `event`, in a batch of its own. */
  const send = async (userId: string, messageId: string, event: string, time: string) => {
    const batch = [{ type: 'track', messageId, userId, event, timestamp: `${day}T${time}:00.000Z` }];
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(t.project.writeKey) }, payload: { batch } });
    expect(response.statusCode, response.body).toBe(200);
  };

  it('leaves a day queued when a batch writing it commits after a fold took its entry', async () => {
    const db = t.app.store.db;
    const { projectId } = t.project;
    // The day is queued, not folded yet.
    await send('held', 'first', 'first', '09:00');
    // A batch's derived writes of one more event that day, its transaction held open.
    let written!: () => void;
    let commit!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const held = new Promise<void>((resolve) => (commit = resolve));
    const event: StoredEvent = { messageId: 'second', type: 'track', event: 'second', userId: 'held', anonymousId: null, accountId: null, timestamp: new Date(`${day}T10:00:00.000Z`), sentAt: null, properties: null, context: null, extra: null, timestampClamped: false, messageIdGenerated: false, receivedAt: new Date(), userVerified: false };
    const writing = db.transaction().execute(async (trx) => {
      await updateDerivedTables(trx, projectId, [event]);
      written();
      await held;
    });
    await wrote;
    // A fold meanwhile (another connection): whatever it takes, it cannot see the second event.
    await foldScorePoints(db, projectId);
    commit();
    await writing;
    while ((await foldScorePoints(db, projectId)) > 0);
    const { rows } = await sql<{ points: number }>`
      select points::float8 as points from user_day_points where project_id = ${projectId} and version = 1 and user_id = 'held' and day = ${day}::date`.execute(db);
    expect(rows).toEqual([{ points: 2 }]);
  });

  it('keeps every event in the points: single-event batches of the same days, folded as they arrive', async () => {
    const users = ['u1', 'u2', 'u3', 'u4'];
    const perUser = 60;
    let sending = true;
    const folds = (async () => {
      while (sending) await foldScorePoints(t.app.store.db, t.project.projectId);
    })();
    // Each event a feature of its own (its own daily cap): every one adds a point.
    await Promise.all(
      users.map(async (user) => {
        for (let i = 0; i < perUser; i++) await send(user, `${user}-${i}`, `F${i}`, '12:00');
      }),
    );
    sending = false;
    await folds;
    while ((await foldScorePoints(t.app.store.db, t.project.projectId)) > 0);
    const { rows } = await sql<{ user_id: string; points: number }>`
      select user_id, points::float8 as points from user_day_points where project_id = ${t.project.projectId} and version = 1 and day = ${day}::date and user_id like 'u%' order by user_id`.execute(t.app.store.db);
    expect(rows).toEqual(users.map((user) => ({ user_id: user, points: perUser })));
  }, 120_000);
});
