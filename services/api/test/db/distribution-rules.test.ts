/**
 * The catalogue test of the distributed schema (docs/scale-out.md): on the databases every
 * developer runs (PGlite, and Postgres when TEST_DATABASE_URL is set), the migrated schema obeys
 * Citus' rules for tables distributed by project_id, and the check names each kind of breach.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { distributionRuleBreaches } from '../../src/db/distribution-rules.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDatabaseKinds)('the distributed schema’s rules on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('every table, key and unique constraint of the migrated schema obeys them', async () => {
    t = await createTestApp(kind);
    expect(await distributionRuleBreaches(t.app.store.db)).toEqual([]);
  });

  it('names a table without project_id, a key or unique index without it, and a foreign key that does not pair it', async () => {
    t = await createTestApp(kind);
    const db = t.app.store.db;
    await sql`create table lookup_codes (code text primary key)`.execute(db);
    await sql`create table notes (project_id text not null, note_id text not null, user_id text not null, primary key (note_id))`.execute(db);
    await sql`create unique index notes_by_user on notes (user_id)`.execute(db);
    await sql`create table replies (project_id text not null, reply_id text not null, note_id text not null references notes (note_id), primary key (project_id, reply_id))`.execute(db);
    await sql`create table edits (project_id text not null, edit_id text not null, user_id text not null, primary key (project_id, edit_id),
      foreign key (project_id, user_id) references users (project_id, user_id))`.execute(db);
    expect(await distributionRuleBreaches(db)).toEqual([
      'lookup_codes: no project_id column',
      'lookup_codes: unique lookup_codes_pkey (code) does not contain project_id',
      'notes: unique notes_by_user (user_id) does not contain project_id',
      'notes: unique notes_pkey (note_id) does not contain project_id',
      'replies: foreign key replies_note_id_fkey to notes does not pair project_id with project_id',
    ]);
  });
});
