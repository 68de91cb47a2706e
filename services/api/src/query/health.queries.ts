import { sql, type Kysely } from 'kysely';
import type { HealthModel, ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, daysBetween, windowOf } from '../domain/days.ts';
import { healthOf, type AccountHealthFigure, type HealthInputs } from '../domain/health.ts';
import type { AccountFacts, SegmentFacts } from '../domain/segments/facts.ts';
import { accountRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';
import { accountScoreTable } from './scores.queries.ts';

/** Per account, the scored features it used in the score window as of a day; and every feature any account used. */
export type FeaturesUsed = { byAccount: Map<string, Set<string>>; project: Set<string> };

/**
 * The distinct scored features (the events the score model counts, figure-sql.ts
 * `cappedDailyCounts`) each account used in the score window, as of a day. Kept per day in the
 * figure cache, as score parts are, so new events recompute only their own day.
 */
export function featuresUsedByAccounts(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<FeaturesUsed> {
  // The union is kept too, so a warm read does not fold the window's parts again.
  return cache.get(projectId, `account-features:${model.version}:${asOf}`, () => featuresUsedOfDays(db, cache, projectId, model, asOf));
}

async function featuresUsedOfDays(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<FeaturesUsed> {
  const { from, to } = windowOf(asOf, model.windowDays);
  const parts = await cache.days(projectId, `account-features-day:${model.version}:${asOf}`, daysBetween(from, to), async (day) => {
    const result = await sql<{ account_id: string; event: string }>`
      select distinct c.account_id, c.event from (${cappedDailyCounts(model, accountRows(projectId, { from: day, to: day }, asOf), ['account_id'])}) c where c.capped > 0`.execute(db);
    return result.rows.map((row) => [row.account_id, row.event] as const);
  });
  const byAccount = new Map<string, Set<string>>();
  const project = new Set<string>();
  for (const part of parts) {
    for (const [accountId, event] of part) {
      const own = byAccount.get(accountId) ?? new Set<string>();
      own.add(event);
      byAccount.set(accountId, own);
      project.add(event);
    }
  }
  return { byAccount, project };
}

/** What the health of the accounts of `facts` needs besides the facts: the score table of the previous window and the features used. */
async function healthContext(db: Kysely<Database>, cache: FigureCache, projectId: string, scoreModel: ScoreModel, facts: SegmentFacts) {
  const [previous, features] = await Promise.all([
    accountScoreTable(db, cache, projectId, scoreModel, addDays(facts.asOf, -scoreModel.windowDays)),
    featuresUsedByAccounts(db, cache, projectId, scoreModel, facts.asOf),
  ]);
  const champions = new Set(facts.users.filter((user) => user.traits['isChampion'] === true).map((user) => user.userId));
  return (account: AccountFacts): HealthInputs => {
    const accountChampions = account.memberIds.filter((id) => champions.has(id)).length;
    return {
      percentile: account.percentile,
      utilisation: account.utilisation,
      nps: account.nps,
      score: account.score,
      previousScore: previous.byId.get(account.accountId) ?? 0,
      champions: accountChampions,
      activeChampions: accountChampions - account.quietChampions.length,
      featuresUsed: features.byAccount.get(account.accountId)?.size ?? 0,
      projectFeatures: features.project.size,
    };
  };
}

/**
 * The health (domain/health.ts `healthOf`) of the accounts of a day's segment facts under a
 * health model, by account id: every account in the facts, or only `accountId`.
 */
export async function healthOfAccounts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  healthModel: HealthModel,
  scoreModel: ScoreModel,
  facts: SegmentFacts,
  accountId?: string,
): Promise<Map<string, AccountHealthFigure>> {
  const inputsOf = await healthContext(db, cache, projectId, scoreModel, facts);
  const accounts = accountId === undefined ? facts.accounts : facts.accounts.filter((account) => account.accountId === accountId);
  return new Map(accounts.map((account) => [account.accountId, healthOf(healthModel, inputsOf(account))]));
}
