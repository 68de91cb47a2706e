import { sql, type Kysely } from 'kysely';

// Key rotation (docs/security.md): each key's creation time (its age, shown to the secret-key
// holder), and the keys replaced by a rotation, accepted until their overlap ends. Every key
// is stored as its SHA-256, except identity secrets, which signing userHashes needs in clear
// (as the projects row keeps the current one). The lookup index by hash is not unique, so it
// needs no project_id (Citus allows it on a distributed table).
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['write_key_created_at', 'secret_key_created_at', 'identity_secret_created_at']) {
    await sql`alter table projects add column ${sql.ref(column)} timestamptz`.execute(db);
    await sql`update projects set ${sql.ref(column)} = created_at`.execute(db);
    await sql`alter table projects alter column ${sql.ref(column)} set default now()`.execute(db);
    await sql`alter table projects alter column ${sql.ref(column)} set not null`.execute(db);
  }
  await sql`
    create table retired_keys (
      project_id text not null,
      kind text not null check (kind in ('write', 'secret', 'identity')),
      key_hash text not null,
      identity_secret text,
      retired_at timestamptz not null,
      expires_at timestamptz not null,
      primary key (project_id, kind, key_hash)
    )`.execute(db);
  await sql`create index retired_keys_by_hash on retired_keys (key_hash)`.execute(db);
}
