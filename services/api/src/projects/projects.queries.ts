import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { generateProjectKeys, hashSecretKey, type ProjectKeys } from './keys.ts';

export type Project = {
  projectId: string;
  name: string;
  writeKey: string;
  identitySecret: string;
  allowedOrigins: string[];
  settings: Record<string, unknown>;
};

/**
 * Creates a project and returns its keys; the secret key is stored only as a hash, so this is
 * the one time it can be shown.
 *
 * @example
 * const { projectId, writeKey, secretKey } = await createProject(db, { name: 'Acme' });
 */
export async function createProject(
  db: Kysely<Database>,
  input: { name: string; allowedOrigins?: string[] },
): Promise<ProjectKeys & { name: string }> {
  const keys = generateProjectKeys();
  await db
    .insertInto('projects')
    .values({
      project_id: keys.projectId,
      name: input.name,
      write_key: keys.writeKey,
      secret_key_hash: hashSecretKey(keys.secretKey),
      identity_secret: keys.identitySecret,
      allowed_origins: JSON.stringify(input.allowedOrigins ?? []),
      settings: JSON.stringify({}),
    })
    .execute();
  return { ...keys, name: input.name };
}

const projectColumns = ['project_id', 'name', 'write_key', 'identity_secret', 'allowed_origins', 'settings'] as const;

export async function findProjectByWriteKey(db: Kysely<Database>, writeKey: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').select(projectColumns).where('write_key', '=', writeKey).executeTakeFirst();
  return row && toProject(row);
}

export async function findProjectBySecretKey(db: Kysely<Database>, secretKey: string): Promise<Project | undefined> {
  const row = await db
    .selectFrom('projects')
    .select(projectColumns)
    .where('secret_key_hash', '=', hashSecretKey(secretKey))
    .executeTakeFirst();
  return row && toProject(row);
}

export async function findProjectByName(db: Kysely<Database>, name: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').select(projectColumns).where('name', '=', name).orderBy('created_at').executeTakeFirst();
  return row && toProject(row);
}

function toProject(row: {
  project_id: string;
  name: string;
  write_key: string;
  identity_secret: string;
  allowed_origins: string[];
  settings: Record<string, unknown>;
}): Project {
  return {
    projectId: row.project_id,
    name: row.name,
    writeKey: row.write_key,
    identitySecret: row.identity_secret,
    allowedOrigins: row.allowed_origins,
    settings: row.settings,
  };
}
