import { sql, type Kysely } from 'kysely';
import type { HealthBands, HealthModel, HealthWeights } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { DEFAULT_HEALTH_MODEL } from '../domain/health.ts';

type ModelRow = { version: number; weights: HealthWeights; bands: HealthBands; status: HealthModel['status']; created_at: Date };

const toModel = (row: ModelRow): HealthModel => ({ version: row.version, status: row.status, weights: row.weights, bands: row.bands, createdAt: row.created_at.toISOString() });

/**
 * Every version of the project's health model, newest first; version 1 (domain/health.ts
 * DEFAULT_HEALTH_MODEL) is there even before anything was stored.
 */
export async function listHealthModels(db: Kysely<Database>, projectId: string): Promise<HealthModel[]> {
  const rows = await db.selectFrom('health_models').selectAll().where('project_id', '=', projectId).orderBy('version', 'desc').execute();
  const models = rows.map(toModel);
  if (!models.some((model) => model.version === 1)) {
    models.push({ ...DEFAULT_HEALTH_MODEL, status: models.some((model) => model.status === 'active') ? 'retired' : 'active' });
  }
  return models;
}

/** The health model an answer uses: the version asked for, else the active one; undefined if unknown. */
export async function findHealthModel(db: Kysely<Database>, projectId: string, version?: number): Promise<HealthModel | undefined> {
  const models = await listHealthModels(db, projectId);
  return version === undefined ? models.find((model) => model.status === 'active') : models.find((model) => model.version === version);
}

/**
 * Stores a new version (the next number), as score models do (query/score-models.queries.ts):
 * activated, it retires the previous active version, which stays queryable with `?version=`.
 *
 * @example
 * await createHealthModel(db, projectId, { weights: { engagement: 50, utilisation: 50, nps: 0, trend: 0, champions: 0, breadth: 0 }, bands: { yellow: 40, green: 70 }, activate: false });
 */
export async function createHealthModel(db: Kysely<Database>, projectId: string, input: { weights: HealthWeights; bands: HealthBands; activate: boolean }): Promise<HealthModel> {
  return db.transaction().execute(async (trx) => {
    // Serialise versions per project, and make version 1 a row so it can be retired.
    await sql`select pg_advisory_xact_lock(hashtext(${`health_models:${projectId}`}))`.execute(trx);
    await trx
      .insertInto('health_models')
      .values({ project_id: projectId, version: 1, weights: JSON.stringify(DEFAULT_HEALTH_MODEL.weights), bands: JSON.stringify(DEFAULT_HEALTH_MODEL.bands), status: 'active' })
      .onConflict((oc) => oc.columns(['project_id', 'version']).doNothing())
      .execute();
    const { latest } = await trx.selectFrom('health_models').select((eb) => eb.fn.max('version').as('latest')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    if (input.activate) {
      await trx.updateTable('health_models').set({ status: 'retired' }).where('project_id', '=', projectId).where('status', '=', 'active').execute();
    }
    const row = await trx
      .insertInto('health_models')
      .values({ project_id: projectId, version: Number(latest) + 1, weights: JSON.stringify(input.weights), bands: JSON.stringify(input.bands), status: input.activate ? 'active' : 'shadow' })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toModel(row);
  });
}
