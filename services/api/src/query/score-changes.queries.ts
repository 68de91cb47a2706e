import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { changeRanges, scoreChangesOf, type CountCell } from '../domain/score-changes.ts';
import { accountRows, isActivity, userRows } from '../figure-sql/activity-rows.ts';
import { cappedDailyCounts } from '../figure-sql/figures.ts';

type Range = { from: string; to: string };
type RowsOf = (range: Range, asOf: string) => RawBuilder<unknown>;

/** Per user and feature, the capped counts summed over a range of days as of a day (the cells of domain/score-changes.ts). */
async function cellsOf(db: Kysely<Database>, model: ScoreModel, rowsOf: RowsOf, range: Range | null, asOf: string): Promise<CountCell[]> {
  if (range === null) return [];
  const result = await sql<{ user_id: string; event: string; count: number }>`
    select c.user_id, c.event, sum(c.capped)::float8 as count from (${cappedDailyCounts(model, rowsOf(range, asOf))}) c group by c.user_id, c.event`.execute(db);
  return result.rows.map((row) => ({ userId: row.user_id, event: row.event, count: row.count }));
}

async function activeUsers(db: Kysely<Database>, rowsOf: RowsOf, window: Range, asOf: string): Promise<Set<string>> {
  const result = await sql<{ user_id: string }>`select distinct r.user_id from (${rowsOf(window, asOf)}) r where ${isActivity('r')}`.execute(db);
  return new Set(result.rows.map((row) => row.user_id));
}

async function changesOf(db: Kysely<Database>, model: ScoreModel, rowsOf: RowsOf, from: string, to: string, withActivity: boolean) {
  const ranges = changeRanges(from, to, model.windowDays);
  const [entered, left, overlapTo, overlapFrom, activeFrom, activeTo] = await Promise.all([
    cellsOf(db, model, rowsOf, ranges.entered, to),
    cellsOf(db, model, rowsOf, ranges.left, from),
    cellsOf(db, model, rowsOf, ranges.overlap, to),
    cellsOf(db, model, rowsOf, ranges.overlap, from),
    withActivity ? activeUsers(db, rowsOf, windowOf(from, model.windowDays), from) : new Set<string>(),
    withActivity ? activeUsers(db, rowsOf, windowOf(to, model.windowDays), to) : new Set<string>(),
  ]);
  return scoreChangesOf(model, { entered, left, overlapTo, overlapFrom }, { from: activeFrom, to: activeTo });
}

/**
 * A user's score on `to` minus their score on `from`, explained by feature.
 *
 * @example
 * await userScoreChanges(db, projectId, model, 'u1', '2026-02-01', '2026-03-01')
 */
export async function userScoreChanges(db: Kysely<Database>, projectId: string, model: ScoreModel, userId: string, from: string, to: string) {
  const changes = await changesOf(db, model, (range, asOf) => userRows(projectId, range, asOf, userId), from, to, false);
  const { byUser: _byUser, ...rest } = changes;
  return { userId, model: { version: model.version }, from, to, ...rest };
}

/** An account's score on `to` minus its score on `from`, explained by feature and by user. */
export async function accountScoreChanges(db: Kysely<Database>, projectId: string, model: ScoreModel, accountId: string, from: string, to: string) {
  const changes = await changesOf(db, model, (range, asOf) => accountRows(projectId, range, asOf, accountId), from, to, true);
  return { accountId, model: { version: model.version }, from, to, ...changes };
}
