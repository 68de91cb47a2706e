import { sql, type Kysely } from 'kysely';

// Versions of a project's health model (docs/api.md, Health). Like score models: a version is
// never edited, a new one is the next number; version 1 is implicit until a first write.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table health_models (
      project_id text not null,
      version integer not null,
      weights jsonb not null,
      bands jsonb not null,
      status text not null,
      created_at timestamptz not null default now(),
      primary key (project_id, version)
    )`.execute(db);
  await sql`create unique index health_models_one_active on health_models (project_id) where status = 'active'`.execute(db);
}
