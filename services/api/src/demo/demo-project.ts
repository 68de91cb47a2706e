import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { insertPlaybookCampaigns } from '../campaigns/campaigns.queries.ts';
import { createProject } from '../projects/projects.queries.ts';

export type DemoKeys = { projectId: string; writeKey: string; secretKey: string; identitySecret: string };

/** What was loaded into the demo project, written once the whole load committed. */
export type DemoDataRecord = { loadedAt: string; from: string; to: string; days: number; accounts: number; users: number; events: number };

/**
 * The file `<dataDir>/demo-project.json`: the demo project's keys; `demoAnchor`, the instant the
 * demo data is generated for (set once, so a later run makes the very same events and stores
 * nothing twice, whatever the day); and `demoData` once it is loaded.
 */
export type DemoProjectFile = DemoKeys & { demoAnchor?: string; demoData?: DemoDataRecord };

export const DEMO_PROJECT_FILE = 'demo-project.json';

/**
 * The demo project, made once: its keys (the secret one included) are kept in
 * `<keysDir>/demo-project.json` so a restart shows the same keys. Only the local demo does this:
 * real projects never store a secret key in clear. When the file names a project the database
 * does not have (a new database, a dropped one), a new demo project replaces it.
 *
 * @example
 * const demo = await ensureDemoProject(app.store.db, '.uptake');
 * if (!demo.demoData) await loadDemoEvents(app.store.db, app.changeTracker, demo.projectId, generateDemoData().events);
 */
export async function ensureDemoProject(db: Kysely<Database>, keysDir: string): Promise<DemoProjectFile & { created: boolean }> {
  const keysPath = join(keysDir, DEMO_PROJECT_FILE);
  if (existsSync(keysPath)) {
    const file = JSON.parse(readFileSync(keysPath, 'utf8')) as DemoProjectFile;
    const found = await db.selectFrom('projects').select('project_id').where('project_id', '=', file.projectId).executeTakeFirst();
    if (found) {
      await ensureDemoCampaigns(db, file.projectId);
      return { ...file, created: false };
    }
  }
  const project = await createProject(db, { name: 'Demo' });
  await ensureDemoCampaigns(db, project.projectId);
  const file: DemoProjectFile = {
    projectId: project.projectId,
    writeKey: project.writeKey,
    secretKey: project.secretKey,
    identitySecret: project.identitySecret,
    demoAnchor: new Date().toISOString(),
  };
  writeDemoProjectFile(keysDir, file);
  return { ...file, created: true };
}

/**
 * Rewrites the file: the anchor when a file from before anchors had none, the demo data record
 * once loaded (so `uptake start` loads it only the first time).
 */
export function updateDemoProjectFile(keysDir: string, file: DemoProjectFile): void {
  const { projectId, writeKey, secretKey, identitySecret, demoAnchor, demoData } = file;
  writeDemoProjectFile(keysDir, { projectId, writeKey, secretKey, identitySecret, ...(demoAnchor ? { demoAnchor } : {}), ...(demoData ? { demoData } : {}) });
}

/** Written to a temporary file and renamed: a crash never leaves half a file (and so no lost keys). */
function writeDemoProjectFile(keysDir: string, file: DemoProjectFile): void {
  mkdirSync(keysDir, { recursive: true });
  const keysPath = join(keysDir, DEMO_PROJECT_FILE);
  writeFileSync(`${keysPath}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${keysPath}.tmp`, keysPath);
}

/**
 * The demo project shows the playbook's campaigns (docs/campaigns.md) switched on: a new demo
 * project's templates are switched on once; a demo project from before campaigns gets them, on.
 * Once any is on (or edited), later runs leave them as they are.
 */
async function ensureDemoCampaigns(db: Kysely<Database>, projectId: string): Promise<void> {
  const rows = await db.selectFrom('campaigns').select(['enabled', 'created_at', 'updated_at']).where('project_id', '=', projectId).execute();
  if (rows.length === 0) {
    await insertPlaybookCampaigns(db, projectId, { enabled: true });
    return;
  }
  const untouched = rows.every((row) => !row.enabled && row.created_at.getTime() === row.updated_at.getTime());
  if (untouched) await db.updateTable('campaigns').set({ enabled: true }).where('project_id', '=', projectId).execute();
}
