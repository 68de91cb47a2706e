import { sql, type Kysely } from 'kysely';
import type { HealthModel, ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, daysBetween, windowOf } from '../domain/days.ts';
import { healthOf, type AccountHealthFigure, type HealthInputs } from '../domain/health.ts';
import type { AccountFacts, SegmentFacts } from '../domain/segments/facts.ts';
import { accountRows } from '../figure-sql/activity-rows.ts';
import type { FigureCache } from './figure-cache.ts';
import { scoredRows } from '../figure-sql/figures.ts';
import { accountScoreTable } from './scores.queries.ts';
import { windowFigure } from './window-split.ts';
import { attributionDay, attributionDays, attributionGroups } from './attribution-day.queries.ts';
import { keptAccountFeaturesByDay, keptFeaturesOfAccounts } from './kept-account-features.queries.ts';

/** Per account, the scored features it used in the score window as of a day; and every feature any account used. */
export type FeaturesUsed = { byAccount: Map<string, Set<string>>; project: Set<string> };

/**
 * The distinct scored features (the events the score model counts, figure-sql.ts
 * `cappedDailyCounts`) each account used in the score window, as of a day: the window's days
 * before `asOf` and the day itself, joined and cached (query/window-split.ts), each from the kept totals
 * (query/kept-account-features.queries.ts) once the model's points are ready; else from the rows,
 * kept per day in the figure cache as score parts are, so new events recompute only their own day.
 */
export function featuresUsedByAccounts(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string): Promise<FeaturesUsed> {
  const none: FeaturesUsed = { byAccount: new Map(), project: new Set() };
  return windowFigure(
    cache,
    projectId,
    `account-features:${model.version}:${asOf}`,
    windowOf(asOf, model.windowDays),
    async (days) => (await keptFeaturesOfAccounts(db, projectId, model, asOf, days)) ?? featuresUsedOfDays(db, cache, projectId, model, asOf, days),
    none,
    (before, last) => {
      // The days before are kept: joined into new sets, never changed.
      const byAccount = new Map(before.byAccount);
      for (const [accountId, events] of last.byAccount) byAccount.set(accountId, new Set([...(before.byAccount.get(accountId) ?? []), ...events]));
      return { byAccount, project: new Set([...before.project, ...last.project]) };
    },
  );
}

/** Every account's features over `window` (days up to `asOf`) from the rows, each day's kept in the figure cache. */
async function featuresUsedOfDays(db: Kysely<Database>, cache: FigureCache, projectId: string, model: ScoreModel, asOf: string, window: { from: string; to: string }): Promise<FeaturesUsed> {
  // The parts are kept as of the last day with the same links and joins, so the days of a health
  // series (and any asOf between two links or joins) share them.
  const partsAsOf = await attributionDay(db, projectId, asOf);
  const parts = await cache.days(projectId, `account-features-day:${model.version}:${partsAsOf}`, daysBetween(window.from, window.to), async (day) => {
    const result = await sql<{ account_id: string; event: string }>`
      select distinct c.account_id, c.event from (${scoredRows(model, accountRows(projectId, { from: day, to: day }, partsAsOf))}) c`.execute(db);
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

/**
 * `featuresUsedByAccounts` of one account on each of `days` (the account's features and every
 * feature any account used, in each day's score window): from the kept totals once the model's
 * points are ready (query/kept-account-features.queries.ts), else from one read of the rows per
 * group of days with the same attribution (query/attribution-day.queries.ts). What a health
 * series needs, without every account's features of every day.
 */
export async function accountFeaturesByDay(db: Kysely<Database>, projectId: string, model: ScoreModel, accountId: string, days: readonly string[]): Promise<Map<string, FeaturesUsed>> {
  const kept = await keptAccountFeaturesByDay(db, projectId, model, accountId, days);
  if (kept !== null) return new Map([...kept].map(([day, { own, project }]) => [day, { byAccount: new Map([[accountId, own]]), project }]));
  const attribution = await attributionDays(db, projectId, days);
  const answer = new Map<string, FeaturesUsed>();
  for (const { asOf, days: groupDays, span } of attributionGroups(attribution, days, model.windowDays)) {
    // Per day and feature: used by any account, and whether by this one.
    const result = await sql<{ day: string; event: string; own: boolean }>`
      select c.day::text as day, c.event, bool_or(c.account_id = ${accountId}) as own
      from (${scoredRows(model, accountRows(projectId, span, asOf))}) c group by c.day, c.event`.execute(db);
    for (const day of groupDays) {
      const { from } = windowOf(day, model.windowDays);
      const own = new Set<string>();
      const project = new Set<string>();
      for (const row of result.rows) {
        if (row.day < from || row.day > day) continue;
        project.add(row.event);
        if (row.own) own.add(row.event);
      }
      answer.set(day, { byAccount: new Map([[accountId, own]]), project });
    }
  }
  return answer;
}

/** The facts of an account its health reads (domain/segments/facts.ts). */
export type HealthFacts = Pick<AccountFacts, 'accountId' | 'percentile' | 'utilisation' | 'nps' | 'score' | 'memberIds' | 'quietChampions'>;

/**
 * What the health of accounts as of a day needs besides their facts: the score table of the
 * previous window, the features used, and which users are champions (the isChampion trait).
 */
async function healthContext(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  scoreModel: ScoreModel,
  asOf: string,
  champions: ReadonlySet<string>,
  known: { previousScores?: ReadonlyMap<string, number> | undefined; features?: FeaturesUsed | undefined },
) {
  const [previous, features] = await Promise.all([
    known.previousScores === undefined ? accountScoreTable(db, cache, projectId, scoreModel, addDays(asOf, -scoreModel.windowDays)) : { byId: known.previousScores },
    known.features ?? featuresUsedByAccounts(db, cache, projectId, scoreModel, asOf),
  ]);
  return (account: HealthFacts): HealthInputs => {
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
 * The health (domain/health.ts `healthOf`) of some accounts as of a day under a health model,
 * from their facts as of that day and the ids of the users who are champions then; the previous
 * window's account scores (as of the day − windowDays) and the features used when the caller has
 * them, else read.
 */
export async function healthOfAccountFacts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: { health: HealthModel; score: ScoreModel },
  asOf: string,
  accounts: readonly HealthFacts[],
  champions: ReadonlySet<string>,
  known: { previousScores?: ReadonlyMap<string, number> | undefined; features?: FeaturesUsed | undefined } = {},
): Promise<Map<string, AccountHealthFigure>> {
  const inputsOf = await healthContext(db, cache, projectId, models.score, asOf, champions, known);
  return new Map(accounts.map((account) => [account.accountId, healthOf(models.health, inputsOf(account))]));
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
  const champions = new Set(facts.users.filter((user) => user.traits['isChampion'] === true).map((user) => user.userId));
  const accounts = accountId === undefined ? facts.accounts : facts.accounts.filter((account) => account.accountId === accountId);
  return healthOfAccountFacts(db, cache, projectId, { health: healthModel, score: scoreModel }, facts.asOf, accounts, champions);
}
