import type { Kysely } from 'kysely';
import type { HealthModel, ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { AccountHealthFigure } from '../domain/health.ts';
import type { FigureCache } from './figure-cache.ts';
import { healthOfAccounts } from './health.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';

/** One account's health as of a day under a health and a score model (null score and band, no components, when it was not seen by then). */
export async function accountHealth(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: { health: HealthModel; score: ScoreModel; thresholds: SegmentThresholds },
  accountId: string,
  asOf: string,
): Promise<AccountHealthFigure> {
  const facts = await segmentFacts(db, cache, projectId, models.score, models.thresholds, asOf);
  const health = await healthOfAccounts(db, cache, projectId, models.health, models.score, facts, accountId);
  return health.get(accountId) ?? { score: null, band: null, components: [] };
}
