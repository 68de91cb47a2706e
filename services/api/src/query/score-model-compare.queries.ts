import type { Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { compareRankings, type ModelComparison } from '../domain/score-model-compare.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';

/**
 * How two score models rank everyone seen by `asOf` (domain/score-model-compare.ts
 * `compareRankings`), from the two cached score tables.
 *
 * @example
 * await compareScoreModels(db, cache, projectId, { a: v1, b: v2, asOf: '2026-03-31', of: 'accounts', limit: 10 })
 */
export async function compareScoreModels(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  request: { a: ScoreModel; b: ScoreModel; asOf: string; of: 'users' | 'accounts'; limit: number },
): Promise<ModelComparison> {
  const table = request.of === 'users' ? userScoreTable : accountScoreTable;
  const [a, b] = await Promise.all([table(db, cache, projectId, request.a, request.asOf), table(db, cache, projectId, request.b, request.asOf)]);
  return compareRankings(a.byId, b.byId, request.limit);
}
