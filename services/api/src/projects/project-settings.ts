import { sql, type Kysely } from 'kysely';
import { KEY_KINDS, type ProjectInfo, type projectSettingsUpdateSchema } from '@uptake/protocol';
import type { z } from 'zod';
import type { Database } from '../db/database.ts';

type ProjectSettingsUpdate = z.output<typeof projectSettingsUpdateSchema>;

/** The project's settings and key ages (`GET /v1/project`); never a secret. */
export async function readProjectInfo(db: Kysely<Database>, projectId: string): Promise<ProjectInfo | undefined> {
  const row = await db
    .selectFrom('projects')
    .select(['project_id', 'name', 'write_key', 'allowed_origins', 'settings', 'write_key_created_at', 'secret_key_created_at', 'identity_secret_created_at', 'retention_days'])
    .select(sql<string | null>`events_expired_before::text`.as('events_expired_before'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!row) return undefined;
  const retired = await db
    .selectFrom('retired_keys')
    .select(['kind', 'retired_at', 'expires_at'])
    .where('project_id', '=', projectId)
    .where('expires_at', '>', new Date())
    .orderBy('retired_at')
    .execute();
  const created = { write: row.write_key_created_at, secret: row.secret_key_created_at, identity: row.identity_secret_created_at };
  const keys = Object.fromEntries(
    KEY_KINDS.map((kind) => [
      kind,
      {
        createdAt: created[kind].toISOString(),
        previous: retired.filter((key) => key.kind === kind).map((key) => ({ retiredAt: key.retired_at.toISOString(), expiresAt: key.expires_at.toISOString() })),
      },
    ]),
  ) as ProjectInfo['keys'];
  return {
    projectId: row.project_id,
    name: row.name,
    writeKey: row.write_key,
    allowedOrigins: row.allowed_origins,
    requireUserHash: row.settings['requireUserHash'] === true,
    retentionDays: row.retention_days,
    eventsExpiredBefore: row.events_expired_before,
    keys,
  };
}

/**
 * Changes the given settings only; `requireUserHash` lives in `projects.settings` beside other
 * settings, `retentionDays` in its own column (the retention worker selects projects by it).
 */
export async function updateProjectSettings(db: Kysely<Database>, projectId: string, update: ProjectSettingsUpdate): Promise<void> {
  if (update.allowedOrigins === undefined && update.requireUserHash === undefined && update.retentionDays === undefined) return;
  await db
    .updateTable('projects')
    .set({
      ...(update.allowedOrigins !== undefined ? { allowed_origins: JSON.stringify([...new Set(update.allowedOrigins)]) } : {}),
      ...(update.requireUserHash !== undefined
        ? { settings: sql<string>`coalesce(settings, '{}'::jsonb) || ${JSON.stringify({ requireUserHash: update.requireUserHash })}::jsonb` }
        : {}),
      ...(update.retentionDays !== undefined ? { retention_days: update.retentionDays } : {}),
    })
    .where('project_id', '=', projectId)
    .execute();
}
