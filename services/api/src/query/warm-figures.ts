import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays, today } from '../domain/days.ts';
import type { FigureCache } from './figure-cache.ts';
import { activeMetrics } from './metrics.queries.ts';
import { findScoreModel } from './score-models.queries.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { segmentThresholds } from './segments.queries.ts';

/**
 * Computes the figures nearly every reader asks for first (today's scores under the active
 * model, the 90-day activity series, the segment facts) for every project, one project at a
 * time, so the first dashboard visit after a start or a new UTC day does not wait for them.
 * Later events keep them current through the cache as usual.
 *
 * @example
 * await warmFigures(db, cache);
 */
export async function warmFigures(db: Kysely<Database>, cache: FigureCache, asOf = today()): Promise<void> {
  const projects = await db.selectFrom('projects').select('project_id').orderBy('created_at').execute();
  for (const { project_id: projectId } of projects) {
    const model = await findScoreModel(db, projectId);
    if (!model) continue;
    await Promise.all([userScoreTable(db, cache, projectId, model, asOf), accountScoreTable(db, cache, projectId, model, asOf)]);
    await activeMetrics(db, cache, projectId, { from: addDays(asOf, -89), to: asOf });
    await segmentFacts(db, cache, projectId, model, await segmentThresholds(db, projectId), asOf);
  }
}
