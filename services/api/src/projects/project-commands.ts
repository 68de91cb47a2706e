import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OVERLAP_HOURS, MAX_OVERLAP_HOURS, projectSettingsUpdateSchema, type KeyKind, type KeyRotation, type ProjectInfo } from '@uptake/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { DEMO_PROJECT_FILE, updateDemoProjectFile, type DemoProjectFile } from '../demo/demo-project.ts';
import { rotateKey } from './key-rotation.ts';
import { readProjectInfo, updateProjectSettings } from './project-settings.ts';

/** A command-line mistake: printed as it is, with the usage. */
export class UsageError extends Error {}

/**
 * The project a command acts on: `--project <id>`, or the database's only project (the demo
 * project after `uptake start`). Several projects and no `--project` → which ones there are.
 */
export async function chooseProject(db: Kysely<Database>, projectId: string | undefined): Promise<string> {
  if (projectId !== undefined) {
    const found = await db.selectFrom('projects').select('project_id').where('project_id', '=', projectId).executeTakeFirst();
    if (!found) throw new UsageError(`--project: no project ${projectId}`);
    return projectId;
  }
  const projects = await db.selectFrom('projects').select(['project_id', 'name']).orderBy('created_at').limit(21).execute();
  if (projects.length === 1) return projects[0]!.project_id;
  if (projects.length === 0) throw new UsageError('there is no project yet: uptake project create --name <name>');
  const listed = projects.slice(0, 20).map((project) => `  ${project.project_id}  ${project.name}`);
  throw new UsageError(`several projects: say which with --project <id>\n${listed.join('\n')}${projects.length > 20 ? '\n  …' : ''}`);
}

/** `--overlap <hours>` as a number within bounds (default 24). */
export function parseOverlap(text: string | undefined): number {
  if (text === undefined) return DEFAULT_OVERLAP_HOURS;
  const hours = Number(text);
  if (text.trim() === '' || !Number.isFinite(hours) || hours < 0 || hours > MAX_OVERLAP_HOURS) {
    throw new UsageError(`--overlap must be a number of hours from 0 to ${MAX_OVERLAP_HOURS}, got "${text}"`);
  }
  return hours;
}

/**
 * `uptake project rotate-key`: the new key (shown once), the old one valid for the overlap. The
 * demo project's key file follows, so `uptake start` keeps printing keys that work.
 */
export async function rotateProjectKey(db: Kysely<Database>, projectId: string, kind: KeyKind, overlapHours: number, keysDir: string): Promise<KeyRotation> {
  const rotation = await rotateKey(db, projectId, kind, overlapHours);
  if (!rotation) throw new UsageError(`--project: no project ${projectId}`);
  const demoPath = join(keysDir, DEMO_PROJECT_FILE);
  if (existsSync(demoPath)) {
    const demo = JSON.parse(readFileSync(demoPath, 'utf8')) as DemoProjectFile;
    if (demo.projectId === projectId) {
      const field = { write: 'writeKey', secret: 'secretKey', identity: 'identitySecret' } as const;
      updateDemoProjectFile(keysDir, { ...demo, [field[kind]]: rotation.key });
    }
  }
  return rotation;
}

/** `uptake project set --allowed-origins a,b --require-user-hash on|off`, validated as `PATCH /v1/project` is. */
export async function setProjectSettings(
  db: Kysely<Database>,
  projectId: string,
  flags: { allowedOrigins?: string | undefined; requireUserHash?: string | undefined },
): Promise<ProjectInfo> {
  if (flags.allowedOrigins === undefined && flags.requireUserHash === undefined) {
    throw new UsageError('nothing to set: give --allowed-origins a,b (empty: any origin) and/or --require-user-hash on|off');
  }
  if (flags.requireUserHash !== undefined && !['on', 'off'].includes(flags.requireUserHash)) {
    throw new UsageError(`--require-user-hash must be on or off, got "${flags.requireUserHash}"`);
  }
  const origins = flags.allowedOrigins?.split(',').map((origin) => origin.trim()).filter(Boolean);
  const parsed = projectSettingsUpdateSchema.safeParse({
    ...(origins !== undefined ? { allowedOrigins: origins } : {}),
    ...(flags.requireUserHash !== undefined ? { requireUserHash: flags.requireUserHash === 'on' } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path[1];
    throw new UsageError(`--allowed-origins: ${typeof at === 'number' ? `"${origins?.[at]}" ` : ''}${issue.message}`);
  }
  await updateProjectSettings(db, projectId, parsed.data);
  return (await readProjectInfo(db, projectId))!;
}
