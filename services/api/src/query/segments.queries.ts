import { sql, type Kysely } from 'kysely';
import type { Segment, SegmentRule, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { DEFAULT_SEGMENT_THRESHOLDS, thresholdsWith } from '../domain/segments/thresholds.ts';

const SETTINGS_KEY = 'segmentThresholds';

/** The built-in thresholds a project changed (stored under `projects.settings.segmentThresholds`). */
export async function thresholdOverrides(db: Kysely<Database>, projectId: string): Promise<Partial<SegmentThresholds>> {
  const row = await db.selectFrom('projects').select('settings').where('project_id', '=', projectId).executeTakeFirst();
  const stored = row?.settings?.[SETTINGS_KEY];
  if (typeof stored !== 'object' || stored === null) return {};
  const overrides: Partial<SegmentThresholds> = {};
  for (const key of Object.keys(DEFAULT_SEGMENT_THRESHOLDS) as Array<keyof SegmentThresholds>) {
    const value = (stored as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) overrides[key] = value;
  }
  return overrides;
}

/** Thresholds in effect for a project: the defaults of docs/api.md, Segments with its overrides. */
export async function segmentThresholds(db: Kysely<Database>, projectId: string): Promise<SegmentThresholds> {
  return thresholdsWith(await thresholdOverrides(db, projectId));
}

/** Replaces a project's threshold overrides (other settings untouched). */
export async function saveThresholdOverrides(db: Kysely<Database>, projectId: string, overrides: Partial<SegmentThresholds>): Promise<void> {
  await sql`
    update projects set settings = jsonb_set(coalesce(settings, '{}'::jsonb), ${`{${SETTINGS_KEY}}`}::text[], ${JSON.stringify(overrides)}::jsonb)
    where project_id = ${projectId}`.execute(db);
}

type SegmentRow = { key: string; name: string; description: string; of: 'users' | 'accounts'; rule: unknown; created_at: Date; updated_at: Date };

function toSegment(row: SegmentRow): Segment & { rule: SegmentRule } {
  return {
    key: row.key,
    name: row.name,
    of: row.of,
    description: row.description,
    builtIn: false,
    rule: (typeof row.rule === 'string' ? JSON.parse(row.rule) : row.rule) as SegmentRule,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export type CustomSegment = ReturnType<typeof toSegment>;

/** The project's custom segments by key. */
export async function listCustomSegments(db: Kysely<Database>, projectId: string): Promise<CustomSegment[]> {
  const rows = await db.selectFrom('segments').select(['key', 'name', 'description', 'of', 'rule', 'created_at', 'updated_at']).where('project_id', '=', projectId).orderBy('key').execute();
  return rows.map(toSegment);
}

export async function findCustomSegment(db: Kysely<Database>, projectId: string, key: string): Promise<CustomSegment | undefined> {
  const row = await db
    .selectFrom('segments')
    .select(['key', 'name', 'description', 'of', 'rule', 'created_at', 'updated_at'])
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row ? toSegment(row) : undefined;
}

type SegmentInput = { name: string; description?: string | undefined; of: 'users' | 'accounts'; rule: SegmentRule };

/** Stores a new custom segment; undefined when the key is taken. */
export async function insertCustomSegment(db: Kysely<Database>, projectId: string, key: string, input: SegmentInput): Promise<CustomSegment | undefined> {
  const row = await db
    .insertInto('segments')
    .values({ project_id: projectId, key, name: input.name, description: input.description ?? '', of: input.of, rule: JSON.stringify(input.rule) })
    .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
    .returning(['key', 'name', 'description', 'of', 'rule', 'created_at', 'updated_at'])
    .executeTakeFirst();
  return row ? toSegment(row) : undefined;
}

/** Replaces a custom segment; undefined when there is none with that key. */
export async function updateCustomSegment(db: Kysely<Database>, projectId: string, key: string, input: SegmentInput): Promise<CustomSegment | undefined> {
  const row = await db
    .updateTable('segments')
    .set({ name: input.name, description: input.description ?? '', of: input.of, rule: JSON.stringify(input.rule), updated_at: sql<Date>`now()` })
    .where('project_id', '=', projectId)
    .where('key', '=', key)
    .returning(['key', 'name', 'description', 'of', 'rule', 'created_at', 'updated_at'])
    .executeTakeFirst();
  return row ? toSegment(row) : undefined;
}

/** Deletes a custom segment; false when there was none. */
export async function deleteCustomSegment(db: Kysely<Database>, projectId: string, key: string): Promise<boolean> {
  const result = await db.deleteFrom('segments').where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
