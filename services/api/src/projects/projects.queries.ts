import { sql, type Kysely } from 'kysely';
import { insertPlaybookCampaigns } from '../campaigns/campaigns.queries.ts';
import type { Database } from '../db/database.ts';
import { generateProjectKeys, hashSecretKey, type ProjectKeys } from './keys.ts';

export type Project = {
  projectId: string;
  name: string;
  writeKey: string;
  identitySecret: string;
  /** Identity secrets replaced by a rotation whose overlap has not ended (epoch ms): userHashes under them still pass. */
  previousIdentitySecrets: { secret: string; expiresAt: number }[];
  allowedOrigins: string[];
  settings: Record<string, unknown>;
};

/** A project found by one of its keys; `expiresAt` (epoch ms) when that key is a rotated-out one. */
export type KeyMatch = { project: Project; expiresAt: number | undefined };

/**
 * Creates a project (with the playbook's campaigns, off) and returns its keys; the secret key is
 * stored only as a hash, so this is the one time it can be shown.
 *
 * @example
 * const { projectId, writeKey, secretKey } = await createProject(db, { name: 'Acme' });
 */
export async function createProject(
  db: Kysely<Database>,
  input: { name: string; allowedOrigins?: string[] },
): Promise<ProjectKeys & { name: string }> {
  const keys = generateProjectKeys();
  // The playbook's campaigns come with every project, switched off (docs/campaigns.md).
  await db.transaction().execute(async (trx) => {
    await trx
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
    await insertPlaybookCampaigns(trx, keys.projectId, { enabled: false });
  });
  return { ...keys, name: input.name };
}

const projectColumns = ['project_id', 'name', 'write_key', 'identity_secret', 'allowed_origins', 'settings'] as const;
type ProjectRow = { project_id: string; name: string; write_key: string; identity_secret: string; allowed_origins: string[]; settings: Record<string, unknown> };

/**
 * The project a write or secret key belongs to: its current key, or one rotated out whose
 * overlap has not ended. Keys are compared by value (write) or SHA-256 (secret), in SQL.
 */
export async function findProjectByKey(db: Kysely<Database>, kind: 'write' | 'secret', key: string): Promise<KeyMatch | undefined> {
  // One query either way: an unknown key (the common case under attack) costs one round trip.
  const current = db.selectFrom('projects').select([...projectColumns, sql<Date | null>`null::timestamptz`.as('expires_at')]);
  const retired = db
    .selectFrom('retired_keys')
    .innerJoin('projects', 'projects.project_id', 'retired_keys.project_id')
    .select([...projectColumns.map((column) => `projects.${column}` as const), 'retired_keys.expires_at'])
    .where('retired_keys.key_hash', '=', hashSecretKey(key))
    .where('retired_keys.kind', '=', kind)
    .where('retired_keys.expires_at', '>', new Date());
  const row = await (kind === 'write' ? current.where('write_key', '=', key) : current.where('secret_key_hash', '=', hashSecretKey(key)))
    .unionAll(retired)
    .limit(1)
    .executeTakeFirst();
  return row && { project: await toProject(db, row), expiresAt: row.expires_at?.getTime() };
}

export async function findProjectByWriteKey(db: Kysely<Database>, writeKey: string): Promise<Project | undefined> {
  return (await findProjectByKey(db, 'write', writeKey))?.project;
}

export async function findProjectBySecretKey(db: Kysely<Database>, secretKey: string): Promise<Project | undefined> {
  return (await findProjectByKey(db, 'secret', secretKey))?.project;
}

export async function findProjectById(db: Kysely<Database>, projectId: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').select(projectColumns).where('project_id', '=', projectId).executeTakeFirst();
  return row && toProject(db, row);
}

export async function findProjectByName(db: Kysely<Database>, name: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').select(projectColumns).where('name', '=', name).orderBy('created_at').executeTakeFirst();
  return row && toProject(db, row);
}

async function toProject(db: Kysely<Database>, row: ProjectRow): Promise<Project> {
  const previous = await db
    .selectFrom('retired_keys')
    .select(['identity_secret', 'expires_at'])
    .where('project_id', '=', row.project_id)
    .where('kind', '=', 'identity')
    .where('expires_at', '>', new Date())
    .execute();
  return {
    projectId: row.project_id,
    name: row.name,
    writeKey: row.write_key,
    identitySecret: row.identity_secret,
    previousIdentitySecrets: previous.flatMap((key) => (key.identity_secret ? [{ secret: key.identity_secret, expiresAt: key.expires_at.getTime() }] : [])),
    allowedOrigins: row.allowed_origins,
    settings: row.settings,
  };
}
