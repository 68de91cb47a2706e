import type { Kysely } from 'kysely';
import type { ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, windowOf } from '../domain/days.ts';
import { buildSegmentFacts } from '../domain/segments/build-facts.ts';
import type { SegmentFacts } from '../domain/segments/facts.ts';
import { seatsOfAccounts } from './account-seats.queries.ts';
import { accountsSeen } from './accounts-seen.queries.ts';
import { accountActivity } from './active-pairs.queries.ts';
import { activityHistory } from './activity-history.queries.ts';
import type { FigureCache } from './figure-cache.ts';
import { findHealthModel } from './health-models.queries.ts';
import { healthOfAccounts } from './health.queries.ts';
import { createLimit } from './limit.ts';
import { latestAnswers } from './latest-nps.queries.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';
import { keptTraitsAsOf } from './traits-as-of.queries.ts';
import { changesFrom } from './window-split.ts';

/** The traits the facts read: built-in segments (onboardedAt, trial, isChampion) and GET /v1/accounts (name, email). */
const USER_FACT_TRAITS = ['name', 'email', 'isChampion'];
const ACCOUNT_FACT_TRAITS = ['name', 'onboardedAt', 'trial'];

/**
 * How many of the facts' reads run at once. All ten at once would take most of the pool while
 * a refresh runs (seconds at 10 M events), and readers' small queries would wait behind them;
 * with the database's cores busy anyway, three at once finish about as soon.
 */
const READS_AT_ONCE = 3;

/**
 * Every account's and user's segment facts as of a day under a score model and thresholds: the
 * readers of query/ fetch the rows (in parallel), domain/segments/build-facts.ts builds the facts
 * from them (each user's facts from before used again where unchanged); cached until the project
 * stores new events.
 *
 * @example
 * const facts = await segmentFacts(db, cache, projectId, model, thresholds, '2026-03-31');
 * accountSegmentMembers('usage-drop', facts.accounts, thresholds, facts.asOf);
 */
export async function segmentFacts(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  model: ScoreModel,
  t: SegmentThresholds,
  asOf: string,
): Promise<SegmentFacts> {
  // Each account's health under the active health model (the health-red segment reads it).
  const healthModel = (await findHealthModel(db, projectId))!;
  return cache.incremental<SegmentFacts>(projectId, `segment-facts:${model.version}:${asOf}:${JSON.stringify(t)}:health-${healthModel.version}`, async (since) => {
    const before = addDays(asOf, -30);
    const npsWindow = windowOf(asOf, t.npsWindowDays);
    const limit = createLimit(READS_AT_ONCE);
    const read = <T>(task: () => Promise<T>) => limit(task, true);
    // The slowest first after a new event (as measured at 10 M events: the whole history is
    // brought up to date from the changed days, the others are read again), so the quick ones
    // fill in beside them.
    const [activity, userScores, history, nps, userTraits, accountTraits, accountScores, seen, seatsNow, seatsBefore] = await Promise.all([
      read(() => accountActivity(db, cache, projectId, asOf, t)),
      read(() => userScoreTable(db, cache, projectId, model, asOf)),
      read(() => activityHistory(db, cache, projectId, asOf)),
      read(() => latestAnswers(db, cache, projectId, npsWindow)),
      read(() => keptTraitsAsOf(db, cache, projectId, 'users', USER_FACT_TRAITS, asOf)),
      read(() => keptTraitsAsOf(db, cache, projectId, 'accounts', ACCOUNT_FACT_TRAITS, asOf)),
      read(() => accountScoreTable(db, cache, projectId, model, asOf)),
      read(() => accountsSeen(db, projectId, asOf)),
      read(() => seatsOfAccounts(db, projectId, asOf)),
      // As of 30 days before: kept as a figure of its own day, which new events leave as it was.
      read(() => cache.get(projectId, `account-seats:${before}`, () => seatsOfAccounts(db, projectId, before), before)),
    ]);
    const facts = buildSegmentFacts({
      asOf,
      thresholds: t,
      history,
      traits: { users: userTraits, accounts: accountTraits },
      scores: { users: userScores, accounts: accountScores },
      userNps: nps.users,
      accountNps: nps.accounts,
      accountsSeen: seen,
      seats: { asOf: seatsNow, before: seatsBefore },
      activity,
    }, since?.value);
    const health = await healthOfAccounts(db, cache, projectId, healthModel, model, facts);
    for (const account of facts.accounts) {
      const figure = health.get(account.accountId);
      account.health = figure === undefined ? undefined : { score: figure.score, band: figure.band };
    }
    return facts;
    // After events of the day alone, every part starts from what it kept (the window figures'
    // days before, the history, the users' facts): a refresh of a fraction of a second, which takes
    // no turn behind the slow ones (else, right after the cold computation, it would go last).
  }, asOf, changesFrom(asOf));
}
