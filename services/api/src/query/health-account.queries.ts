import type { Kysely } from 'kysely';
import type { HealthModel, ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { AccountHealthFigure } from '../domain/health.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountHealthOfDays } from './health-series.queries.ts';

/**
 * One account's health as of a day under a health and a score model (null score and band, no
 * components, when it was not seen by then): the health series' computation for that one day
 * (query/health-series.queries.ts `accountHealthOfDays`), from the account's own rows and the
 * kept project tables; the same answer as `healthOfAccounts` over the day's segment facts
 * (query/health.queries.ts, what the accounts list and the health-red segment read). Kept as one
 * figure until the project stores new events, so a refresh after a new event is that small
 * computation, never the whole project's facts.
 */
export async function accountHealth(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: { health: HealthModel; score: ScoreModel; thresholds: SegmentThresholds },
  accountId: string,
  asOf: string,
): Promise<AccountHealthFigure> {
  const key = `account-health:${JSON.stringify([accountId, models.health.version, models.score.version, models.thresholds, asOf])}`;
  return cache.get(projectId, key, async () => (await accountHealthOfDays(db, cache, projectId, models, accountId, [asOf])).get(asOf) ?? { score: null, band: null, components: [] });
}
