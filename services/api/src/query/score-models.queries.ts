import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { ScoreModelFeatures } from '../db/tables/score-models.table.ts';
import { DEFAULT_SCORE_MODEL, toScoreModel } from '../figure-sql/stored-score-models.ts';

/**
 * Every version of the project's score model, newest first; version 1 is there even before
 * anything was stored.
 */
export async function listScoreModels(db: Kysely<Database>, projectId: string): Promise<ScoreModel[]> {
  const rows = await db.selectFrom('score_models').selectAll().where('project_id', '=', projectId).orderBy('version', 'desc').execute();
  const models = rows.map(toScoreModel);
  if (!models.some((model) => model.version === 1)) {
    models.push({ ...DEFAULT_SCORE_MODEL, status: models.some((model) => model.status === 'active') ? 'retired' : 'active' });
  }
  return models;
}

/** The model a score answer uses: the version asked for, else the active one; undefined if unknown. */
export async function findScoreModel(db: Kysely<Database>, projectId: string, version?: number): Promise<ScoreModel | undefined> {
  const models = await listScoreModels(db, projectId);
  return version === undefined ? models.find((model) => model.status === 'active') : models.find((model) => model.version === version);
}

/**
 * Stores a new version (the next number). Activated, it retires the previous active version,
 * whose scores stay available with `?model=`.
 *
 * @example
 * await createScoreModel(db, projectId, { features: { 'Report Created': { weight: 3, label: 'Reports' } }, windowDays: 30, dailyCap: 20, activate: true });
 */
export async function createScoreModel(
  db: Kysely<Database>,
  projectId: string,
  input: { features: ScoreModelFeatures; windowDays: number; dailyCap: number; activate: boolean },
): Promise<ScoreModel> {
  return db.transaction().execute(async (trx) => {
    // Serialise versions per project, and make version 1 a row so it can be retired.
    await sql`select pg_advisory_xact_lock(hashtext(${`score_models:${projectId}`}))`.execute(trx);
    await trx
      .insertInto('score_models')
      .values({ project_id: projectId, version: 1, features: '{}', window_days: DEFAULT_SCORE_MODEL.windowDays, daily_cap: DEFAULT_SCORE_MODEL.dailyCap, status: 'active' })
      .onConflict((oc) => oc.columns(['project_id', 'version']).doNothing())
      .execute();
    const { latest } = await trx.selectFrom('score_models').select((eb) => eb.fn.max('version').as('latest')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    if (input.activate) {
      await trx.updateTable('score_models').set({ status: 'retired' }).where('project_id', '=', projectId).where('status', '=', 'active').execute();
    }
    const row = await trx
      .insertInto('score_models')
      .values({
        project_id: projectId,
        version: Number(latest) + 1,
        features: JSON.stringify(input.features),
        window_days: input.windowDays,
        daily_cap: input.dailyCap,
        status: input.activate ? 'active' : 'shadow',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toScoreModel(row);
  });
}
