import { sql, type Kysely } from 'kysely';
import type { HealthBand, HealthModel, ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, earlierOf, laterOf, windowOf } from '../domain/days.ts';
import type { AccountHealthFigure } from '../domain/health.ts';
import { percentileOf } from '../domain/score.ts';
import { quietChampionsOf } from '../domain/segments/build-facts.ts';
import { accountMemberRowsByDay } from './account-members-by-day.queries.ts';
import { accountScoresByDay } from './account-scores-by-day.queries.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountFeaturesByDay, healthOfAccountFacts, type FeaturesUsed, type HealthFacts } from './health.queries.ts';
import { utilisationByDay } from './metrics.queries.ts';
import { accountNpsByDay } from './nps.queries.ts';
import { accountScoreTable } from './scores.queries.ts';
import { userTraitsByDay } from './traits-as-of.queries.ts';

export type HealthSeriesModels = { health: HealthModel; score: ScoreModel; thresholds: SegmentThresholds };

/**
 * One account's health (domain/health.ts `healthOf`) on each of `days` under a health and a
 * score model, by day; days before the account was first seen are left out (not among that day's
 * accounts, query/accounts-seen.queries.ts). Each day's facts are those the segment facts of the
 * day hold for the account (domain/segments/build-facts.ts), made from the account's own rows and
 * the project-wide figures its health compares against, each read once for all the days:
 * - every account's score on each day (for the percentile) and the account's own a window
 *   before, from the kept score points (query/account-scores-by-day.queries.ts; each day's score
 *   table while the points are not ready);
 * - the features it and any account used in each day's window (`accountFeaturesByDay`);
 * - its members with their first and last active days (query/account-members-by-day.queries.ts),
 *   its utilisation (`utilisationByDay`) and NPS (`accountNpsByDay`) on each day;
 * - the isChampion trait of its members only, on each day (`userTraitsByDay`).
 * Never a whole day of every account's facts, never every user's trait calls. GET
 * /v1/accounts/:id/health (query/health-account.queries.ts) is this for one day, the series
 * (`accountHealthSeries`) this for each of its days.
 */
export async function accountHealthOfDays(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: HealthSeriesModels,
  accountId: string,
  days: readonly string[],
): Promise<Map<string, AccountHealthFigure>> {
  const { score: scoreModel, thresholds } = models;
  const seen = await sql<{ first_day: string }>`
    select first_day::text as first_day from account_first_seen where project_id = ${projectId} and account_id = ${accountId}`.execute(db);
  const firstDay = seen.rows[0]?.first_day;
  const seenDays = firstDay === undefined ? [] : [...new Set(days)].filter((day) => day >= firstDay).sort();
  if (seenDays.length === 0) return new Map();
  // One day (the single-day answer, a series' newest day after new events): the project-wide parts
  // are the day's score tables and features used, figures the cache keeps (the segment facts read
  // them too, and the table a window before stays current through new events); several days: one
  // read of each for all of them.
  const oneDay = seenDays.length === 1;
  const [byDay, previousByDay, features, membersByDay, utilisation, nps] = await Promise.all([
    oneDay ? null : accountScoresByDay(db, projectId, scoreModel, seenDays),
    oneDay ? null : accountScoresByDay(db, projectId, scoreModel, seenDays.map((day) => addDays(day, -scoreModel.windowDays)), accountId),
    oneDay ? new Map<string, FeaturesUsed>() : accountFeaturesByDay(db, projectId, scoreModel, accountId, seenDays),
    accountMemberRowsByDay(db, projectId, accountId, seenDays),
    utilisationByDay(db, projectId, accountId, seenDays),
    accountNpsByDay(db, projectId, accountId, thresholds.npsWindowDays, seenDays),
  ]);
  // Members only grow with the days (rows, links and joins only add), so the last day's are every day's.
  const memberIds = [...new Set([...membersByDay.values()].flatMap((members) => members.map((member) => member.userId)))];
  const traitsByDay = await userTraitsByDay(db, projectId, ['isChampion'], seenDays, memberIds);
  const answer = new Map<string, AccountHealthFigure>();
  for (const day of seenDays) {
    // Without kept points, the day's score table (kept per day in the figure cache).
    const table = byDay?.get(day) ?? (await accountScoreTable(db, cache, projectId, scoreModel, day));
    const members = membersByDay.get(day)!;
    const traits = traitsByDay.get(day)!;
    const score = table.byId.get(accountId) ?? 0;
    const facts: HealthFacts = {
      accountId,
      score,
      percentile: percentileOf(table.ascending, score),
      utilisation: utilisation.get(day)!.utilisation,
      nps: nps.get(day)!,
      memberIds: members.map((member) => member.userId),
      quietChampions: quietChampionsOf(members, traits, windowOf(day, thresholds.championQuietDays).from),
    };
    const champions = new Set(members.filter((member) => traits.get(member.userId)?.['isChampion'] === true).map((member) => member.userId));
    const known = { previousScores: previousByDay?.get(addDays(day, -scoreModel.windowDays))?.byId, features: features.get(day) };
    answer.set(day, (await healthOfAccountFacts(db, cache, projectId, models, day, [facts], champions, known)).get(accountId)!);
  }
  return answer;
}

/**
 * One account's health as of a day under a health and a score model (null score and band, no
 * components, when it was not seen by then): `accountHealthOfDays` for that one day, from the
 * account's own rows and the kept project tables; the same answer as `healthOfAccounts` over the
 * day's segment facts (query/health.queries.ts, what the accounts list and the health-red segment
 * read). Kept as one figure until the project stores events of that day or an earlier one, so a
 * refresh after a new event is that small computation, never the whole project's facts.
 */
export function accountHealth(db: Kysely<Database>, cache: FigureCache, projectId: string, models: HealthSeriesModels, accountId: string, asOf: string): Promise<AccountHealthFigure> {
  const key = `account-health:${JSON.stringify([accountId, models.health.version, models.score.version, models.thresholds, asOf])}`;
  return cache.get(projectId, key, async () => (await accountHealthOfDays(db, cache, projectId, models, accountId, [asOf])).get(asOf) ?? { score: null, band: null, components: [] }, asOf);
}

type SeriesDay = { date: string; score: number | null; band: HealthBand | null };

/**
 * One account's health score and band on each of `days`: for each day the same answer as
 * `GET /v1/accounts/:id/health?asOf=<day>` (both are `accountHealthOfDays`), null before the
 * account was first seen.
 *
 * @example
 * await accountHealthSeries(db, cache, projectId, models, 'acme', ['2026-03-30', '2026-03-31'])
 * // [{ date: '2026-03-30', score: 61, band: 'yellow' }, { date: '2026-03-31', score: 63, band: 'yellow' }]
 */
export function accountHealthSeries(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: HealthSeriesModels,
  accountId: string,
  days: readonly string[],
): Promise<SeriesDay[]> {
  // Kept as one figure, so a warm series is read from memory. A day's health reads only events of
  // that day and earlier ones: new events recompute the days from the earliest they fell on (today's
  // events, today alone: the one-day figure GET /v1/accounts/:id/health keeps too); a link or a
  // join, every day.
  const key = `account-health-series:${JSON.stringify([accountId, models.health.version, models.score.version, models.thresholds, days])}`;
  const lastDay = days.reduce(laterOf);
  return cache.incremental<SeriesDay[]>(
    projectId,
    key,
    async (since) => {
      if (since?.changedDays.length === 0) return since.value;
      const from = since?.changedDays.reduce(earlierOf);
      const changed = from === undefined ? days : days.filter((day) => day >= from);
      const health =
        changed.length === 1
          ? new Map([[changed[0]!, await accountHealth(db, cache, projectId, models, accountId, changed[0]!)]])
          : await accountHealthOfDays(db, cache, projectId, models, accountId, changed);
      const kept = new Map(since?.value.map((day) => [day.date, day]));
      return days.map((date) =>
        from !== undefined && date < from ? kept.get(date)! : { date, score: health.get(date)?.score ?? null, band: health.get(date)?.band ?? null },
      );
    },
    lastDay,
  );
}
