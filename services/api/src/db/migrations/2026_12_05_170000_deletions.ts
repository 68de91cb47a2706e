import { sql, type Kysely } from 'kysely';

// Deletion of a user or an account (docs/privacy.md, "Deletion"). `deletions` records each
// request and its receipt; while it runs it also keeps what finishing it needs (the subject's
// ids and the salt of its pseudonyms, in `pending`), and the last step clears that column in the
// transaction that marks it completed. `deletion_suppressions` keeps only a keyed hash of each
// deleted id (HMAC with the project's `privacy_keys.suppression_secret`), never the id.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table deletions (
      project_id text not null,
      deletion_id text not null,
      subject text not null check (subject in ('user', 'account')),
      status text not null check (status in ('running', 'completed')),
      allow_return boolean not null default false,
      requested_at timestamptz not null,
      completed_at timestamptz,
      rows jsonb not null default '{}',
      pending jsonb,
      progress jsonb not null default '{}',
      claimed_until timestamptz,
      primary key (project_id, deletion_id)
    )`.execute(db);
  // What a worker looks for at start and on each poll: unfinished deletions only.
  await sql`create index deletions_running on deletions (requested_at) where status = 'running'`.execute(db);
  await sql`
    create table privacy_keys (
      project_id text not null primary key,
      suppression_secret text not null
    )`.execute(db);
  await sql`
    create table deletion_suppressions (
      project_id text not null,
      key_hash text not null,
      created_at timestamptz not null default now(),
      primary key (project_id, key_hash)
    )`.execute(db);
}
