import { sql, type Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { accountRows } from '../figure-sql/activity-rows.ts';
import { scoredRows } from '../figure-sql/figures.ts';
import { attributionDays, attributionGroups } from './attribution-day.queries.ts';
import { accountsKeptDiffer, pointsReady } from './scores.queries.ts';

// The scored features accounts used (domain/health.ts breadth) from the kept totals
// (account_day_totals, derived/score-points.ts: per account and day, the features its rows used,
// with the links and memberships as they are now), as query/health.queries.ts answers them from
// the per-day counts. Exact as `scoresFromPoints` is: the accounts whose kept rows may differ
// (`accountsKeptDiffer`) are read from their rows as of each day instead.

/** Features per account (or of the project: every account's) per day. */
type FeatureRow = { day: string; account_id: string; event: string };

/**
 * The features of the accounts whose kept totals may differ, per day and account, as of each
 * group of days with the same attribution (query/attribution-day.queries.ts): one read per group.
 */
async function changedFeatures(db: Kysely<Database>, projectId: string, model: ScoreModel, ids: readonly string[], days: readonly string[], attribution: Map<string, string>) {
  const byAsOf = new Map<string, FeatureRow[]>();
  if (ids.length === 0) return byAsOf;
  for (const { asOf, span } of attributionGroups(attribution, days, model.windowDays)) {
    const result = await sql<FeatureRow>`
      select distinct c.day::text as day, c.account_id, c.event from (${scoredRows(model, accountRows(projectId, span, asOf, ids))}) c`.execute(db);
    byAsOf.set(asOf, result.rows);
  }
  return byAsOf;
}

/**
 * What every reader needs first: whether the totals can answer, the ids to recompute (read before
 * the totals) and each day's attribution; `span`: the days read (default: from the first day's
 * window to the last day).
 */
async function keptStart(db: Kysely<Database>, projectId: string, model: ScoreModel, days: readonly string[], span = { from: windowOf(days[0]!, model.windowDays).from, to: days.at(-1)! }) {
  if (!(await pointsReady(db, projectId, model))) return null;
  const [changed, attribution] = await Promise.all([sql<{ id: string }>`${accountsKeptDiffer(projectId, days[0]!, span)}`.execute(db), attributionDays(db, projectId, days)]);
  return { span, changedIds: changed.rows.map((row) => row.id), attribution };
}

/**
 * Every account's features over `window` (by default the score window as of `asOf`; days up to
 * `asOf`), and every feature any account used (`featuresUsedByAccounts`), from the kept totals;
 * null when the model's points are not ready.
 */
export async function keptFeaturesOfAccounts(db: Kysely<Database>, projectId: string, model: ScoreModel, asOf: string, window = windowOf(asOf, model.windowDays)): Promise<{ byAccount: Map<string, Set<string>>; project: Set<string> } | null> {
  const start = await keptStart(db, projectId, model, [asOf], window);
  if (start === null) return null;
  const { span, changedIds, attribution } = start;
  const [kept, changed] = await Promise.all([
    // Distinct pairs (hashed), not arrays per account (sorted).
    sql<{ account_id: string; event: string }>`
      select distinct t.account_id, f.event
      from account_day_totals t cross join unnest(t.features) as f(event)
      where t.project_id = ${projectId} and t.version = ${model.version} and t.day between ${span.from}::date and ${span.to}::date
        and t.account_id <> all(${changedIds}::text[])`.execute(db),
    changedFeatures(db, projectId, model, changedIds, [asOf], attribution),
  ]);
  const byAccount = new Map<string, Set<string>>();
  const project = new Set<string>();
  const changedInSpan = (changed.get(attribution.get(asOf)!) ?? []).filter((row) => row.day >= span.from && row.day <= span.to);
  for (const row of [...kept.rows, ...changedInSpan]) {
    const own = byAccount.get(row.account_id) ?? new Set<string>();
    own.add(row.event);
    byAccount.set(row.account_id, own);
    project.add(row.event);
  }
  return { byAccount, project };
}

/**
 * One account's features and every feature any account used, in the score window of each of
 * `days` (`accountFeaturesByDay`), from the kept totals: the project's per day in one read, the
 * account's in another; null when the model's points are not ready.
 */
export async function keptAccountFeaturesByDay(
  db: Kysely<Database>,
  projectId: string,
  model: ScoreModel,
  accountId: string,
  days: readonly string[],
): Promise<Map<string, { own: Set<string>; project: Set<string> }> | null> {
  const sorted = [...new Set(days)].sort();
  if (sorted.length === 0) return new Map();
  const start = await keptStart(db, projectId, model, sorted);
  if (start === null) return null;
  const { span, changedIds, attribution } = start;
  const inSpan = sql`t.project_id = ${projectId} and t.version = ${model.version} and t.day between ${span.from}::date and ${span.to}::date and t.account_id <> all(${changedIds}::text[])`;
  const [projectDays, ownDays, changed] = await Promise.all([
    sql<{ day: string; event: string }>`
      select distinct t.day::text as day, f.event from account_day_totals t cross join unnest(t.features) as f(event) where ${inSpan}`.execute(db),
    sql<{ day: string; features: string[] }>`select t.day::text as day, t.features from account_day_totals t where ${inSpan} and t.account_id = ${accountId}`.execute(db),
    changedFeatures(db, projectId, model, changedIds, sorted, attribution),
  ]);
  const answer = new Map<string, { own: Set<string>; project: Set<string> }>();
  for (const day of sorted) {
    const { from } = windowOf(day, model.windowDays);
    const inWindow = (d: string) => d >= from && d <= day;
    const own = new Set<string>();
    const project = new Set<string>();
    for (const row of projectDays.rows) if (inWindow(row.day)) project.add(row.event);
    for (const row of ownDays.rows) if (inWindow(row.day)) for (const event of row.features) own.add(event);
    for (const row of changed.get(attribution.get(day)!) ?? []) {
      if (!inWindow(row.day)) continue;
      project.add(row.event);
      if (row.account_id === accountId) own.add(row.event);
    }
    answer.set(day, { own, project });
  }
  return answer;
}
