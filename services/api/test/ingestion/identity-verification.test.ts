/**
 * Identity verification on writes (docs/protocol.md, docs/widgets.md): widgets open an account
 * only through a membership that came from a group call carrying the user's valid userHash; a
 * project may require a valid userHash on every event with a userId; the hash is checked, then
 * dropped: no table ever holds it.
 */
import { sql, type Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../../packages/browser/src/core.ts';
import { memoryStore } from '../../../../packages/browser/src/memory-store.ts';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { openStore } from '../../src/db/connect.ts';
import type { Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { userHash, type ProjectKeys } from '../../src/projects/keys.ts';
import { createTestDatabase, testDatabaseKinds } from '../support/databases.ts';
import { setProjectSettings } from '../support/project-settings.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const DAY_MS = 86_400_000;
const todayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const daysAgo = (days: number, hour = 12) => new Date(todayStart - days * DAY_MS + hour * 3_600_000).toISOString();

let sequence = 0;
const message = () => `iv-${++sequence}`;

/** Every string sent as a userHash anywhere below: none may be found in any table afterwards. */
const sentHashes = new Set<string>();

/**
 * Every text, varchar, json and jsonb column of every table of the current schema that holds one
 * of `needles` (case-insensitive), as `table.column`.
 */
async function columnsHolding(db: Kysely<Database>, needles: string[]): Promise<string[]> {
  // Every project's rows of every table: a read across projects (on Citus, across shards).
  return acrossProjects(db, (trx) => columnsHoldingIn(trx, needles));
}

async function columnsHoldingIn(db: Kysely<Database>, needles: string[]): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = current_schema() and c.data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
    order by 1, 2`.execute(db);
  expect(columns.rows.length).toBeGreaterThan(20);
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns.rows) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(table)}
      where lower(${sql.ref(column)}::text) like any(${needles.map((needle) => `%${needle.toLowerCase()}%`)}::text[])`.execute(db);
    if (rows[0]!.n > 0) found.push(`${table}.${column}`);
  }
  return found;
}

describe.each(testDatabaseKinds)('identity verification on %s', (kind) => {
  let t: TestApp;
  let strict: ProjectKeys;
  const hashOf = (userId: string, project: ProjectKeys = t.project) => {
    const hash = userHash(project.identitySecret, userId);
    sentHashes.add(hash);
    return hash;
  };
  const post = async (batch: unknown[], writeKey = t.project.writeKey, context?: Record<string, unknown>) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${writeKey}` }, payload: { batch, ...(context ? { context } : {}) } });
    expect(response.statusCode).toBe(200);
    return response.json() as { accepted: number; duplicates: number; rejected: Array<{ index: number; messageId?: string; errors: Array<{ path: string; message: string }> }> };
  };
  const send = async (batch: unknown[]) => expect((await post(batch)).rejected).toEqual([]);
  const widget = async (path: string, userId: string, query = '') => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/v1/widgets/${path}?userId=${encodeURIComponent(userId)}&userHash=${hashOf(userId)}${query}`,
      headers: { authorization: `Bearer ${t.project.writeKey}` },
    });
    return { status: response.statusCode, body: response.json() as Record<string, any> };
  };
  const track = (userId: string, days: number, context: Record<string, unknown> = {}) => ({
    type: 'track', messageId: message(), userId, event: 'Report Created', timestamp: daysAgo(days), context,
  });
  const group = (userId: string, groupId: string, days: number, context: Record<string, unknown> = {}) => ({
    type: 'group', messageId: message(), userId, groupId, timestamp: daysAgo(days), traits: { name: groupId }, context,
  });

  beforeAll(async () => {
    t = await createTestApp(kind);
    strict = await t.createProject('Strict');
    // Set before the project's first request (the ingestion route caches projects by write key).
    await setProjectSettings(t.app.store.db, strict.projectId, { requireUserHash: true });
    await send([
      // The victim account: its member joined with a verified group call (as the SDK sends it
      // once identify was given the hash), and used a feature in it.
      track('boss', 60),
      group('boss', 'victim', 30, { userHash: hashOf('boss') }),
      track('boss', 1, { groupId: 'victim', userHash: hashOf('boss') }),
      track('boss', 1, { groupId: 'victim', userHash: hashOf('boss') }),
      // The attacker: a real user with a valid hash of their own, seen 60 days ago (eligible for NPS).
      track('me', 60, { userHash: hashOf('me') }),
      // An anonymous group call naming the victim, linked to the attacker by an identify carrying
      // the attacker's valid hash: an anonymous call proves nothing, so it opens nothing.
      { type: 'group', messageId: message(), anonymousId: 'anon-me', groupId: 'victim', timestamp: daysAgo(3) },
      { type: 'identify', messageId: message(), anonymousId: 'anon-me', userId: 'me', timestamp: daysAgo(3), context: { userHash: hashOf('me') } },
      // A group call with somebody else's hash, and events naming the victim in context or properties.
      group('me', 'victim-2', 4, { userHash: hashOf('boss') }),
      track('me', 2, { groupId: 'victim', userHash: hashOf('me') }),
      { ...track('me', 2, { userHash: hashOf('me') }), properties: { accountId: 'victim' } },
      // The plain trick of issue 12: a group call without any hash, the attacker's latest join.
      group('me', 'victim', 1),
      // An honest user: identify with the hash, then group (the SDK adds the hash to both).
      track('ann', 60),
      { type: 'identify', messageId: message(), userId: 'ann', timestamp: daysAgo(5), context: { userHash: hashOf('ann').toUpperCase() } },
      group('ann', 'acme', 5, { userHash: hashOf('ann').toUpperCase() }),
    ]);
  });
  afterAll(async () => t?.close());

  describe('widgets open an account only through a verified membership', () => {
    it("refuses the cross-account read of issue 12: an unverified group call and the user's valid hash", async () => {
      const answer = await widget('progress', 'me', '&accountId=victim');
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'not_a_member', path: 'accountId' });
      expect(answer.body['message']).toContain('verified member');
      expect(JSON.stringify(answer.body)).not.toContain('Report Created');
    });

    it('opens no account through a hash of another user, an identify-linked anonymous call, or events naming the account', async () => {
      expect((await widget('progress', 'me', '&accountId=victim-2')).status).toBe(403);
      const own = await widget('progress', 'me');
      expect(own.status).toBe(200);
      expect(own.body['account']).toBeNull();
      // Their own counts are theirs to see.
      expect(own.body['user'].items).toEqual([expect.objectContaining({ event: 'Report Created', count: 2 })]);
    });

    it("shows a verified member their account's figures", async () => {
      const boss = await widget('progress', 'boss', '&accountId=victim');
      expect(boss.status).toBe(200);
      // The account's totals are the query API's (every member's events and events naming it).
      expect(boss.body['account']).toMatchObject({ accountId: 'victim', items: [expect.objectContaining({ event: 'Report Created' })] });
      const ann = await widget('progress', 'ann');
      expect(ann.body['account']).toMatchObject({ accountId: 'acme' });
    });

    it("does not let the trick spend the victim account's daily prompt quota", async () => {
      const settings = await t.app.inject({
        method: 'PUT', url: '/v1/widgets/settings', headers: { authorization: `Bearer ${t.project.secretKey}` }, payload: { nps: { accountDailyPromptLimit: 1 } },
      });
      expect(settings.statusCode).toBe(200);
      expect((await widget('nps', 'me', '&accountId=victim')).status).toBe(403);
      // Without accountId the attacker is prompted as a user of no account.
      expect((await widget('nps', 'me')).body).toMatchObject({ show: true, reason: 'eligible' });
      const ledger = await t.app.store.db.selectFrom('widget_contacts').select(['user_id', 'account_id']).where('project_id', '=', t.project.projectId).execute();
      expect(ledger).toEqual([{ user_id: 'me', account_id: null }]);
      // The victim account's one prompt of the day is still there for its member.
      expect((await widget('nps', 'boss')).body).toMatchObject({ show: true, reason: 'eligible' });
    });

    it('opens the account of the browser SDK\'s group call after identify({ userHash }), not of one made before it', async () => {
      // The real SDK engine, its transport posting to the service (what fetch does in a page).
      const sdk = createCore(
        { writeKey: t.project.writeKey, host: 'http://uptake.test', flushAt: 100, flushIntervalMs: 60_000 },
        {
          storage: memoryStore(),
          now: Date.now,
          random: Math.random,
          transport: {
            post: async (url, body) => {
              const response = await t.app.inject({ method: 'POST', url: new URL(url).pathname, headers: { 'content-type': 'text/plain' }, payload: body });
              return { status: response.statusCode, body: response.json() };
            },
            beacon: () => false,
          },
        },
        globalThis,
      );
      sdk.group('sdk-early');
      sdk.identify('sdk-user', { name: 'S' }, { userHash: hashOf('sdk-user') });
      sdk.group('sdk-acme');
      sdk.track('Report Created');
      await sdk.flush();
      sdk.close();
      expect((await widget('progress', 'sdk-user')).body['account']).toMatchObject({ accountId: 'sdk-acme', items: [expect.objectContaining({ count: 1 })] });
      expect((await widget('progress', 'sdk-user', '&accountId=sdk-early')).status).toBe(403);
    });

    it('leaves the query API alone: the unverified membership still counts in figures', async () => {
      const db = t.app.store.db;
      const rows = async (table: 'memberships' | 'verified_memberships') =>
        (await db.selectFrom(table).select(['account_id', 'user_id']).where('project_id', '=', t.project.projectId).execute()).map((row) => `${row.account_id}:${row.user_id}`).sort();
      expect(await rows('memberships')).toEqual(['acme:ann', 'sdk-acme:sdk-user', 'sdk-early:sdk-user', 'victim-2:me', 'victim:boss', 'victim:me'].sort());
      expect(await rows('verified_memberships')).toEqual(['acme:ann', 'sdk-acme:sdk-user', 'victim:boss'].sort());
      const members = await t.app.inject({ method: 'GET', url: '/v1/accounts/victim/users', headers: { authorization: `Bearer ${t.project.secretKey}` } });
      expect(members.statusCode).toBe(200);
      expect(JSON.stringify(members.json())).toContain('"me"');
    });

    it('keeps verified memberships through `uptake rebuild` (from events.user_verified, the hash being gone)', async () => {
      const { rebuildDerivedTables } = await import('../../src/derived/rebuild.ts');
      const before = await t.app.store.db.selectFrom('verified_memberships').selectAll().where('project_id', '=', t.project.projectId).orderBy('account_id').execute();
      await rebuildDerivedTables(t.app.store.db, t.app.changeTracker, t.project.projectId);
      const after = await t.app.store.db.selectFrom('verified_memberships').selectAll().where('project_id', '=', t.project.projectId).orderBy('account_id').execute();
      expect(after).toEqual(before);
      expect(after).toHaveLength(3);
    });
  });

  describe('requireUserHash', () => {
    it('rejects events with a userId and no valid context.userHash, naming the field; accepts the rest', async () => {
      const u1 = hashOf('u1', strict);
      const u2 = hashOf('u2', strict);
      const answer = await post(
        [
          { type: 'track', messageId: 's-ok', userId: 'u1', event: 'Report Created', context: { userHash: u1 } },
          { type: 'track', messageId: 's-missing', userId: 'u1', event: 'Report Created' },
          { type: 'track', messageId: 's-other', userId: 'u1', event: 'Report Created', context: { userHash: u2 } },
          { type: 'track', messageId: 's-upper', userId: 'u1', event: 'Report Created', context: { userHash: u1.toUpperCase() } },
          { type: 'page', messageId: 's-anonymous', anonymousId: 'a1', name: 'Pricing' },
          { type: 'group', messageId: 's-number', userId: 'u1', groupId: 'acme', context: { userHash: 42 } },
        ],
        strict.writeKey,
      );
      expect(answer.accepted).toBe(3);
      expect(answer.rejected).toEqual([
        { index: 1, messageId: 's-missing', errors: [{ path: 'context.userHash', message: expect.stringMatching(/^missing: this project requires identity verification \(requireUserHash\)/) }] },
        { index: 2, messageId: 's-other', errors: [{ path: 'context.userHash', message: expect.stringMatching(/^does not match userId/) }] },
        { index: 5, messageId: 's-number', errors: [{ path: 'context.userHash', message: expect.stringMatching(/^must be a string/) }] },
      ]);
      const warnings = await t.app.store.db
        .selectFrom('ingestion_warnings').select(['message_id', 'kind', 'errors', 'payload']).where('project_id', '=', strict.projectId).orderBy('message_id').execute();
      expect(warnings.map((warning) => [warning.message_id, warning.kind, warning.errors[0]!.path])).toEqual([
        ['s-missing', 'rejected', 'context.userHash'],
        ['s-number', 'rejected', 'context.userHash'],
        ['s-other', 'rejected', 'context.userHash'],
      ]);
      for (const warning of warnings) expect(JSON.parse(warning.payload!)['context'] ?? {}).not.toHaveProperty('userHash');
    });

    it('takes the hash from the batch-level context too, and answers 400 on a single-event route', async () => {
      const answer = await post([{ type: 'identify', messageId: 's-envelope', userId: 'u3', traits: { role: 'admin' } }], strict.writeKey, { userHash: hashOf('u3', strict) });
      expect(answer).toMatchObject({ accepted: 1, rejected: [] });
      const single = await t.app.inject({
        method: 'POST', url: '/v1/track', headers: { authorization: `Bearer ${strict.writeKey}` }, payload: { userId: 'u3', event: 'Report Created', context: { userHash: hashOf('u1', strict) } },
      });
      expect(single.statusCode).toBe(400);
      expect(single.json()).toMatchObject({ error: 'invalid_event', path: 'context.userHash' });
    });

    it('is off by default: events without a hash are accepted (and do not verify)', async () => {
      expect(await post([{ type: 'track', messageId: message(), userId: 'nobody', event: 'Report Created' }])).toMatchObject({ accepted: 1, rejected: [] });
    });
  });

  it('never stores a userHash: no text or json column of any table holds one, valid or not', async () => {
    // Hashes in rejected events, in accepted-with-a-warning events, and not matching.
    const bad = 'ab'.repeat(32);
    sentHashes.add(bad);
    const answer = await post([
      { type: 'track', messageId: message(), userId: 'me', event: '$not_reserved', context: { userHash: hashOf('me') } },
      { type: 'track', userId: 'me', event: 'Report Created', context: { userHash: hashOf('me') } },
      { type: 'track', messageId: message(), userId: 'me', event: 'Report Created', timestamp: new Date(Date.now() + 3 * DAY_MS).toISOString(), context: { userHash: bad } },
    ]);
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toHaveLength(1);
    const warnings = await t.app.store.db.selectFrom('ingestion_warnings').select('kind').where('project_id', '=', t.project.projectId).execute();
    expect(warnings.map((warning) => warning.kind).sort()).toEqual(['message_id_generated', 'rejected', 'timestamp_far_future']);
    expect(sentHashes.size).toBeGreaterThan(6);
    expect(await columnsHolding(t.app.store.db, [...sentHashes])).toEqual([]);
    // The scan does find a value that is stored (it would find a hash).
    expect(await columnsHolding(t.app.store.db, ['anon-me'])).toContain('events.anonymous_id');
  });
});

describe.each(testDatabaseKinds)('migration 2026_12_05_110000_verified_memberships on %s', (kind) => {
  it('verifies stored group calls from their hash, then removes every stored hash (events and warnings)', async () => {
    const database = await createTestDatabase(kind);
    const store = await openStore(database.config);
    try {
      const db = store.db;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const before = await migrator.migrateTo('2026_11_28_090000_traits_by_event_time');
      expect(before.error).toBeUndefined();
      const secret = 'is_test-secret';
      const good = userHash(secret, 'u1');
      const wrong = userHash(secret, 'u2');
      await sql`
        insert into projects (project_id, name, write_key, secret_key_hash, identity_secret, allowed_origins, settings)
        values ('prj_m', 'M', 'wk_m', 'h', ${secret}, '[]', '{}')`.execute(db);
      const event = (id: string, type: string, userId: string, accountId: string | null, context: Record<string, unknown>) => sql`
        insert into events (project_id, message_id, type, event, user_id, account_id, timestamp, received_at, properties, context)
        values ('prj_m', ${id}, ${type}, ${type === 'track' ? 'Report Created' : null}, ${userId}, ${accountId},
                '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z', '{}', ${JSON.stringify(context)}::jsonb)`.execute(db);
      await event('g-good', 'group', 'u1', 'acme', { userHash: good, groupId: 'acme' });
      await event('g-upper', 'group', 'u1', 'beta', { userHash: good.toUpperCase() });
      await event('g-wrong', 'group', 'u1', 'globex', { userHash: wrong });
      await event('g-none', 'group', 'u1', 'initech', { sessionId: 's' });
      await event('t-good', 'track', 'u1', null, { userHash: good, sessionId: 's' });
      const whole = JSON.stringify({ type: 'track', userId: 'u1', event: '$bad', context: { userHash: good, seq: 1 } });
      const cut = `{"type":"track","userId":"u1","context":{"seq":1,"userHash":"${wrong.slice(0, 20)}`;
      for (const [index, payload] of [whole, cut].entries()) {
        await sql`insert into ingestion_warnings (project_id, received_at, kind, event_index, payload) values ('prj_m', now(), 'rejected', ${index}, ${payload})`.execute(db);
      }

      expect(await migrateToLatest(db)).toContain('2026_12_05_110000_verified_memberships');

      const rows = await sql<{ message_id: string; user_verified: boolean; context: Record<string, unknown> }>`
        select message_id, user_verified, context from events where project_id = 'prj_m' order by message_id`.execute(db);
      expect(rows.rows.map((row) => [row.message_id, row.user_verified])).toEqual([
        ['g-good', true], ['g-none', false], ['g-upper', true], ['g-wrong', false], ['t-good', false],
      ]);
      expect(rows.rows.find((row) => row.message_id === 'g-good')!.context).toEqual({ groupId: 'acme' });
      const verified = await sql<{ account_id: string; user_id: string }>`select account_id, user_id from verified_memberships where project_id = 'prj_m' order by account_id`.execute(db);
      expect(verified.rows).toEqual([{ account_id: 'acme', user_id: 'u1' }, { account_id: 'beta', user_id: 'u1' }]);
      const warnings = await sql<{ payload: string }>`select payload from ingestion_warnings where project_id = 'prj_m' order by event_index`.execute(db);
      expect(JSON.parse(warnings.rows[0]!.payload)).toEqual({ type: 'track', userId: 'u1', event: '$bad', context: { seq: 1 } });
      expect(warnings.rows[1]!.payload).toBe('{"type":"track","userId":"u1","context":{"seq":1,"userHash":null');
      expect(await columnsHolding(db as Kysely<Database>, [good, wrong.slice(0, 20)])).toEqual([]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
