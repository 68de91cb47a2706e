import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecretKey, userHash, userHashMatches } from '../../src/projects/keys.ts';
import type { Project } from '../../src/projects/projects.queries.ts';
import { initialisedDataDir, testDatabaseKinds } from '../support/databases.ts';
import { basicAuth, createTestApp, type TestApp } from '../support/test-app.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sleepUntil = async (at: number) => {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, Math.max(10, at - Date.now() + 20)));
};

describe('userHashMatches', () => {
  const project = (previous: Project['previousIdentitySecrets']): Project => ({
    projectId: 'prj_x',
    name: 'x',
    writeKey: 'wk_x',
    identitySecret: 'is_current',
    previousIdentitySecrets: previous,
    allowedOrigins: [],
    settings: {},
  });

  it('accepts the hash under the current secret and every unexpired previous one, nothing else', () => {
    const later = Date.now() + 3_600_000;
    const p = project([
      { secret: 'is_previous', expiresAt: later },
      { secret: 'is_expired', expiresAt: Date.now() - 1 },
    ]);
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.stringMatching(/^[0-9a-f]{64}$/), (userId, random) => {
        expect(userHashMatches(p, userId, userHash('is_current', userId))).toBe(true);
        expect(userHashMatches(p, userId, userHash('is_previous', userId).toUpperCase())).toBe(true);
        expect(userHashMatches(p, userId, userHash('is_expired', userId))).toBe(false);
        expect(userHashMatches(p, userId, userHash('is_current', `${userId}x`))).toBe(false);
        if (random !== userHash('is_current', userId) && random !== userHash('is_previous', userId)) expect(userHashMatches(p, userId, random)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe.each(testDatabaseKinds)('key rotation and project settings on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const rotate = (secretKey: string, body: object) => t!.app.inject({ method: 'POST', url: '/v1/project/keys/rotate', headers: bearer(secretKey), payload: body });
  const ingest = (writeKey: string, headers: Record<string, string> = {}) =>
    t!.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basicAuth(writeKey), ...headers }, payload: { batch: [] } });
  const widget = (writeKey: string, userId: string, hash: string) =>
    t!.app.inject({ method: 'GET', url: `/v1/widgets/progress?userId=${userId}&userHash=${hash}&writeKey=${writeKey}` });

  it('rotates the write key: both keys work during the overlap (24 h by default), the old one not after an overlap of 0', async () => {
    t = await createTestApp(kind);
    const old = t.project.writeKey;
    expect((await ingest(old)).statusCode).toBe(200);
    const response = await rotate(t.project.secretKey, { kind: 'write' });
    expect(response.statusCode).toBe(200);
    const rotation = response.json();
    expect(rotation.key).toMatch(/^wk_[A-Za-z0-9_-]{24}$/);
    expect(Date.parse(rotation.previousKeyExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect((await ingest(old)).statusCode).toBe(200);
    expect((await ingest(rotation.key)).statusCode).toBe(200);
    const hash = userHash(t.project.identitySecret, 'u1');
    expect((await widget(old, 'u1', hash)).statusCode).toBe(200);
    expect((await widget(rotation.key, 'u1', hash)).statusCode).toBe(200);
    const info = (await t.app.inject({ method: 'GET', url: '/v1/project', headers: bearer(t.project.secretKey) })).json();
    expect(info.writeKey).toBe(rotation.key);
    expect(info.keys.write.previous).toEqual([{ retiredAt: expect.any(String), expiresAt: rotation.previousKeyExpiresAt }]);

    // Rotating again with no overlap: the key just replaced stops at once (it was cached here).
    const next = (await rotate(t.project.secretKey, { kind: 'write', overlapHours: 0 })).json();
    expect((await ingest(rotation.key)).statusCode).toBe(401);
    expect((await ingest(next.key)).statusCode).toBe(200);
    expect((await ingest(old)).statusCode).toBe(200); // still within its own 24 h
  });

  it('rotates the secret key: the old one reads until its overlap ends, then gets 401', async () => {
    t = await createTestApp(kind);
    const old = t.project.secretKey;
    const rotation = (await rotate(old, { kind: 'secret', overlapHours: 1.5 / 3600 })).json();
    expect(rotation.key).toMatch(/^sk_/);
    const read = (key: string) => t!.app.inject({ method: 'GET', url: '/v1/project', headers: bearer(key) });
    expect((await read(old)).statusCode).toBe(200);
    expect((await read(rotation.key)).statusCode).toBe(200);
    await sleepUntil(Date.parse(rotation.previousKeyExpiresAt));
    expect((await read(old)).json()).toMatchObject({ error: 'invalid_secret_key' });
    expect((await read(rotation.key)).statusCode).toBe(200);
    // Stored hashed: the new key is nowhere in the database.
    const row = await t.app.store.db.selectFrom('projects').selectAll().where('project_id', '=', t.project.projectId).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(rotation.key);
    expect(row.secret_key_hash).toBe(hashSecretKey(rotation.key));
  });

  it('rotates the identity secret: userHashes under the old and new secrets pass during the overlap, only the new after', async () => {
    t = await createTestApp(kind);
    const { writeKey, secretKey, identitySecret } = t.project;
    const rotation = (await rotate(secretKey, { kind: 'identity', overlapHours: 1.5 / 3600 })).json();
    expect(rotation.key).toMatch(/^is_/);
    expect((await widget(writeKey, 'u1', userHash(identitySecret, 'u1'))).statusCode).toBe(200);
    expect((await widget(writeKey, 'u1', userHash(rotation.key, 'u1'))).statusCode).toBe(200);
    await sleepUntil(Date.parse(rotation.previousKeyExpiresAt));
    expect((await widget(writeKey, 'u1', userHash(identitySecret, 'u1'))).json()).toMatchObject({ error: 'invalid_user_hash' });
    expect((await widget(writeKey, 'u1', userHash(rotation.key, 'u1'))).statusCode).toBe(200);
  });

  it('refuses rotation requests that are not the secret-key holder’s or not well formed', async () => {
    t = await createTestApp(kind);
    expect((await rotate(t.project.writeKey, { kind: 'write' })).json()).toMatchObject({ error: 'write_key_not_allowed' });
    const bad = await rotate(t.project.secretKey, { kind: 'write', overlapHours: 100_000 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().path).toBe('overlapHours');
    expect((await rotate(t.project.secretKey, { kind: 'master' })).json().path).toBe('kind');
  });

  it('reads and changes the settings: origins checked by name, effective at once, requireUserHash kept in settings, no secret shown', async () => {
    t = await createTestApp(kind);
    const { writeKey, secretKey, identitySecret } = t.project;
    const patch = (body: object) => t!.app.inject({ method: 'PATCH', url: '/v1/project', headers: bearer(secretKey), payload: body });
    expect((await ingest(writeKey, { origin: 'https://elsewhere.example' })).statusCode).toBe(200);

    const invalid = await patch({ allowedOrigins: ['https://app.example.com/path'] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: 'invalid_request', path: 'allowedOrigins[0]', message: expect.stringContaining('scheme://host[:port]') });
    expect((await patch({ allowedOrigins: [], extra: true })).statusCode).toBe(400);

    const changed = await patch({ allowedOrigins: ['https://App.example.com', 'http://localhost:3000'], requireUserHash: true });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'], requireUserHash: true });
    // The write key was cached with the old origins: the change holds at once on this instance.
    expect((await ingest(writeKey, { origin: 'https://elsewhere.example' })).json()).toMatchObject({ error: 'origin_not_allowed', path: 'origin' });
    expect((await ingest(writeKey, { origin: 'https://app.example.com' })).statusCode).toBe(200);

    const row = await t.app.store.db.selectFrom('projects').select('settings').where('project_id', '=', t.project.projectId).executeTakeFirstOrThrow();
    expect(row.settings['requireUserHash']).toBe(true);
    const info = await t.app.inject({ method: 'GET', url: '/v1/project', headers: bearer(secretKey) });
    expect(info.json()).toMatchObject({ projectId: t.project.projectId, name: 'Test', requireUserHash: true, keys: { secret: { createdAt: expect.any(String), previous: [] } } });
    for (const secret of [secretKey, identitySecret, hashSecretKey(secretKey)]) expect(info.body).not.toContain(secret);
    expect(info.headers['cache-control']).toBe('no-store');
    expect((await patch({ requireUserHash: false })).json()).toMatchObject({ requireUserHash: false, allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
  });
});

describe('uptake project rotate-key and project set', () => {
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

  it('rotates a key and changes settings of the only project, and keeps the demo key file current', () => {
    const dataDir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-keys-')));
    try {
      const created = JSON.parse(run(['project', 'create', '--name', 'A', '--json', '--data-dir', dataDir]).stdout);
      const rotated = run(['project', 'rotate-key', '--identity', '--overlap', '2', '--json', '--data-dir', dataDir]);
      expect(rotated.status, rotated.stderr).toBe(0);
      const rotation = JSON.parse(rotated.stdout);
      expect(rotation).toMatchObject({ projectId: created.projectId, kind: 'identity', key: expect.stringMatching(/^is_/) });
      expect(rotation.key).not.toBe(created.identitySecret);

      const set = run(['project', 'set', '--allowed-origins', 'https://a.example,https://b.example:8443', '--require-user-hash', 'on', '--json', '--data-dir', dataDir]);
      expect(set.status, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({ projectId: created.projectId, allowedOrigins: ['https://a.example', 'https://b.example:8443'], requireUserHash: true });

      const wrong = run(['project', 'set', '--allowed-origins', 'a.example', '--data-dir', dataDir]);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain('--allowed-origins: "a.example" must be an origin');
      expect(run(['project', 'rotate-key', '--write', '--secret', '--data-dir', dataDir]).stderr).toContain('exactly one of --write, --secret, --identity');

      run(['project', 'create', '--name', 'B', '--data-dir', dataDir]);
      const ambiguous = run(['project', 'rotate-key', '--write', '--data-dir', dataDir]);
      expect(ambiguous.status).toBe(1);
      expect(ambiguous.stderr).toContain('--project <id>');
      const chosen = run(['project', 'rotate-key', '--write', '--project', created.projectId, '--json', '--data-dir', dataDir]);
      expect(JSON.parse(chosen.stdout)).toMatchObject({ projectId: created.projectId, kind: 'write' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('updates demo-project.json when the demo project’s key is rotated', () => {
    const dataDir = initialisedDataDir(mkdtempSync(join(tmpdir(), 'uptake-keys-')));
    try {
      expect(run(['demo', '--days', '1', '--accounts', '1', '--data-dir', dataDir]).status).toBe(0);
      const before = JSON.parse(readFileSync(join(dataDir, 'demo-project.json'), 'utf8'));
      const rotation = JSON.parse(run(['project', 'rotate-key', '--secret', '--json', '--data-dir', dataDir]).stdout);
      const after = JSON.parse(readFileSync(join(dataDir, 'demo-project.json'), 'utf8'));
      expect(after).toEqual({ ...before, secretKey: rotation.key });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
