import type { Kysely } from 'kysely';
import { MAX_COMPARE_MOVERS, type ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { compareRankings, type ModelComparison } from '../domain/score-model-compare.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';

/**
 * How two score models rank everyone seen by `asOf` (domain/score-model-compare.ts
 * `compareRankings`), from the two cached score tables. The comparison itself is cached too
 * (with the most movers any request may ask, sliced to `limit`): ranking every id twice is the
 * larger part of a warm answer.
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
  const full = await cache.get(projectId, `score-model-compare:${request.of}:${request.a.version}:${request.b.version}:${request.asOf}`, async () => {
    const [a, b] = await Promise.all([table(db, cache, projectId, request.a, request.asOf), table(db, cache, projectId, request.b, request.asOf)]);
    return compareRankings(a.byId, b.byId, MAX_COMPARE_MOVERS);
  }, request.asOf);
  return { ...full, up: full.up.slice(0, request.limit), down: full.down.slice(0, request.limit) };
}
