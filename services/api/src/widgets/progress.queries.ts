import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Progress, ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, today, windowOf } from '../domain/days.ts';
import { progressMessage, type ProgressFeature } from '../domain/widgets/progress-message.ts';
import { accountRows, userRows } from '../figure-sql/activity-rows.ts';
import { scoredEvents } from '../figure-sql/figures.ts';
import { findScoreModel } from '../query/score-models.queries.ts';

type Counts = { current: Map<string, number>; previous: Map<string, number> };

/** Uses per scored event in the window and in the window before it (raw counts: what was done, not points). */
async function countsOf(db: Kysely<Database>, rows: RawBuilder<unknown>, model: ScoreModel, windowFrom: string): Promise<Counts> {
  const scored = scoredEvents(model, 'r');
  const result = await sql<{ event: string; current: number; previous: number }>`
    select r.event,
           sum(case when r.day >= ${windowFrom}::date then r.count else 0 end)::int as current,
           sum(case when r.day < ${windowFrom}::date then r.count else 0 end)::int as previous
    from (${rows}) r ${scored.join} where ${scored.filter} group by r.event`.execute(db);
  const counts: Counts = { current: new Map(), previous: new Map() };
  for (const row of result.rows) {
    counts.current.set(row.event, row.current);
    counts.previous.set(row.event, row.previous);
  }
  return counts;
}

/** The model's features as the progress message needs them; version 1 has none configured, so the events seen stand in. */
function featuresOf(model: ScoreModel, seen: Counts): ProgressFeature[] {
  if (model.everyTrackEvent) return [...seen.current.keys()].map((event) => ({ event, label: event, weight: 1 }));
  return Object.entries(model.features).map(([event, feature]) => ({ event, label: feature.label, weight: feature.weight, valueText: feature.valueText }));
}

/**
 * What the user and their account did in the active score model's window (as of today, UTC) per
 * feature, against the window before, and the most valuable features the user never used. Only
 * this user's own counts and their account's totals: nobody else's data.
 *
 * @example
 * await widgetProgress(db, projectId, { userId: 'u1', accountId: 'acme', now: new Date(), maxMissing: 3 })
 */
export async function widgetProgress(
  db: Kysely<Database>,
  projectId: string,
  request: { userId: string; accountId: string | null; now: Date; maxMissing: number },
): Promise<Progress> {
  const model = await findScoreModel(db, projectId);
  if (!model) throw new Error(`project ${projectId} has no active score model`);
  const asOf = today(request.now);
  const window = windowOf(asOf, model.windowDays);
  const previousWindow = windowOf(addDays(window.from, -1), model.windowDays);
  const span = { from: previousWindow.from, to: window.to };
  const featureEvents = Object.keys(model.features);

  const [user, account, everUsed] = await Promise.all([
    countsOf(db, userRows(projectId, span, asOf, request.userId), model, window.from),
    request.accountId === null ? undefined : countsOf(db, accountRows(projectId, span, asOf, request.accountId), model, window.from),
    // Ever (not only in the windows): a feature used once long ago is no suggestion.
    model.everyTrackEvent
      ? undefined
      : sql<{ event: string }>`
          select distinct r.event from (${userRows(projectId, { from: '1970-01-01', to: asOf }, asOf, request.userId)}) r
          where r.event = any(${featureEvents}::text[])`.execute(db),
  ]);
  const userFeatures = featuresOf(model, user);
  const used = new Set(everUsed ? everUsed.rows.map((row) => row.event) : userFeatures.map((feature) => feature.event));
  const userMessage = progressMessage(userFeatures, user.current, user.previous, used, request.maxMissing);
  return {
    userId: request.userId,
    model: { version: model.version },
    window,
    previousWindow,
    user: userMessage,
    account:
      account === undefined || request.accountId === null
        ? null
        : { accountId: request.accountId, items: progressMessage(featuresOf(model, account), account.current, account.previous, new Set(), 0).items },
  };
}
