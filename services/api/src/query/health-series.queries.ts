import { sql, type Kysely } from 'kysely';
import type { HealthBand, HealthModel, ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, windowOf } from '../domain/days.ts';
import { percentileOf } from '../domain/score.ts';
import { quietChampionsOf } from '../domain/segments/build-facts.ts';
import { accountScoresByDay, type DayScores } from './account-scores-by-day.queries.ts';
import { accountMemberRows } from './activity-history.queries.ts';
import type { FigureCache } from './figure-cache.ts';
import { accountFeaturesByDay, healthOfAccountFacts, type FeaturesUsed, type HealthFacts } from './health.queries.ts';
import { utilisationAsOf } from './metrics.queries.ts';
import { npsOfWindow } from './nps.queries.ts';
import { accountScoreTable } from './scores.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

export type HealthSeriesModels = { health: HealthModel; score: ScoreModel; thresholds: SegmentThresholds };

/** How many days of a series are computed at once (each a handful of small queries). */
const DAYS_AT_ONCE = 2;

/**
 * One account's facts as of a day, only those its health reads, as the segment facts of that day
 * hold them (domain/segments/build-facts.ts), from the account's own rows and the project's
 * score table (kept score points, query/scores.queries.ts); and which of its members are
 * champions then.
 */
async function healthFactsOf(db: Kysely<Database>, cache: FigureCache, projectId: string, models: HealthSeriesModels, accountId: string, asOf: string, scores: DayScores | undefined) {
  const npsWindow = windowOf(asOf, models.thresholds.npsWindowDays);
  const [table, utilisation, nps, members, traits] = await Promise.all([
    scores ?? accountScoreTable(db, cache, projectId, models.score, asOf),
    utilisationAsOf(db, projectId, accountId, asOf),
    npsOfWindow(db, projectId, { ...npsWindow, asOf, accountId }),
    accountMemberRows(db, projectId, asOf, accountId),
    traitsAsOf(db, projectId, 'users', ['isChampion'], asOf),
  ]);
  const score = table.byId.get(accountId) ?? 0;
  const facts: HealthFacts = {
    accountId,
    score,
    percentile: percentileOf(table.ascending, score),
    utilisation: utilisation.utilisation,
    nps: nps.nps,
    memberIds: members.map((member) => member.userId),
    quietChampions: quietChampionsOf(members, traits, windowOf(asOf, models.thresholds.championQuietDays).from),
  };
  const champions = new Set(members.filter((member) => traits.get(member.userId)?.['isChampion'] === true).map((member) => member.userId));
  return { facts, champions };
}

/**
 * One account's health score and band on each of `days`: for each day the same answer as
 * `GET /v1/accounts/:id/health?asOf=<day>` (query/health-account.queries.ts), null before the
 * account was first seen. Each day reads only the account's own rows and the project-wide figures
 * its health compares against: every account's score on each day (for the percentile) and the
 * account's own a window before, each for all the days in one read of the kept score points
 * (query/account-scores-by-day.queries.ts); the features it and any account used in each day's
 * window, for all the days in one read of the rows (`accountFeaturesByDay`). Never a whole day of
 * every account's facts.
 *
 * @example
 * await accountHealthSeries(db, cache, projectId, models, 'acme', ['2026-03-30', '2026-03-31'])
 * // [{ date: '2026-03-30', score: 61, band: 'yellow' }, { date: '2026-03-31', score: 63, band: 'yellow' }]
 */
export async function accountHealthSeries(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  models: HealthSeriesModels,
  accountId: string,
  days: readonly string[],
): Promise<Array<{ date: string; score: number | null; band: HealthBand | null }>> {
  const windowDays = models.score.windowDays;
  const dayOf = async (date: string, known: { scores: DayScores | undefined; previous: DayScores | undefined; features: FeaturesUsed | undefined }) => {
    const { facts, champions } = await healthFactsOf(db, cache, projectId, models, accountId, date, known.scores);
    const health = (await healthOfAccountFacts(db, cache, projectId, models, date, [facts], champions, { previousScores: known.previous?.byId, features: known.features })).get(accountId)!;
    return { date, score: health.score, band: health.band };
  };
  // The series is kept as one figure (until the project stores new events), so a warm series is
  // read from memory and a refresh is one computation, a few days at a time: it never takes
  // every pooled connection from ingestion.
  const key = `account-health-series:${JSON.stringify([accountId, models.health.version, models.score.version, models.thresholds, days])}`;
  return cache.get(projectId, key, async () => {
    // Not seen by a day: not among that day's accounts (query/accounts-seen.queries.ts).
    const seen = await sql<{ first_day: string }>`
      select first_day::text as first_day from account_first_seen where project_id = ${projectId} and account_id = ${accountId}`.execute(db);
    const firstDay = seen.rows[0]?.first_day;
    const seenDays = firstDay === undefined ? [] : days.filter((day) => day >= firstDay);
    // Every account's score on each day and the account's own a window before, from one read of
    // the kept points each (null: not ready, each day's score tables then); the features used in
    // each day's window from one read of the rows.
    const [byDay, previousByDay, features] = await Promise.all([
      accountScoresByDay(db, projectId, models.score, seenDays),
      accountScoresByDay(db, projectId, models.score, seenDays.map((day) => addDays(day, -windowDays)), accountId),
      accountFeaturesByDay(db, projectId, models.score, accountId, seenDays),
    ]);
    const answers = new Map<string, { date: string; score: number | null; band: HealthBand | null }>();
    for (let first = 0; first < seenDays.length; first += DAYS_AT_ONCE) {
      const computed = await Promise.all(
        seenDays
          .slice(first, first + DAYS_AT_ONCE)
          .map((day) => dayOf(day, { scores: byDay?.get(day), previous: previousByDay?.get(addDays(day, -windowDays)), features: features.get(day) })),
      );
      for (const answer of computed) answers.set(answer.date, answer);
    }
    return days.map((date) => answers.get(date) ?? { date, score: null, band: null });
  });
}
