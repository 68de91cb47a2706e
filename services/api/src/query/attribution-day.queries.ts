import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays, windowOf } from '../domain/days.ts';
import { AS_OF_NOW, endOfDay } from '../figure-sql/activity-rows.ts';

/**
 * The last day whose rows (figure-sql/activity-rows.ts) belong to the same users and accounts as
 * as of `asOf`: the day before the first identity link or membership after `asOf`, or `AS_OF_NOW`
 * when none came after. Parts of figures kept per day as of that day therefore serve every
 * `asOf` between, so the days of a series share them instead of each computing its own.
 *
 * @example
 * await attributionDay(db, projectId, '2026-03-01') // '2026-03-09' (a link on 03-10), or '9999-12-30'
 */
export async function attributionDay(db: Kysely<Database>, projectId: string, asOf: string): Promise<string> {
  return (await attributionDays(db, projectId, [asOf])).get(asOf)!;
}

/**
 * `attributionDay` of each of `days`, from one read of the links and joins after the first of them.
 *
 * @example
 * await attributionDays(db, projectId, ['2026-03-01', '2026-03-12']) // Map { '2026-03-01' → '2026-03-09', '2026-03-12' → '9999-12-30' }
 */
export async function attributionDays(db: Kysely<Database>, projectId: string, days: readonly string[]): Promise<Map<string, string>> {
  if (days.length === 0) return new Map();
  const first = [...days].sort()[0]!;
  // The days a link or a join changed the rows from: a link counts from its day, a join from
  // the day it happened (rows as of a day count joins before its end).
  const result = await sql<{ day: string }>`
    select link_day::text as day from identity_links where project_id = ${projectId} and link_day > ${first}::date
    union
    select (joined_at at time zone 'UTC')::date::text from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(first)}
    order by 1`.execute(db);
  const changes = result.rows.map((row) => row.day);
  return new Map(
    days.map((day) => {
      const next = changes.find((change) => change > day);
      return [day, next === undefined ? AS_OF_NOW : addDays(next, -1)];
    }),
  );
}

/**
 * `days` (sorted) in groups with the same attribution day (`attributionDays`), each with the span
 * of rows its days' `windowDays` windows cover: one read of the rows as of the group's `asOf`
 * serves every day in it.
 */
export function attributionGroups(attribution: ReadonlyMap<string, string>, days: readonly string[], windowDays: number): Array<{ asOf: string; days: string[]; span: { from: string; to: string } }> {
  const groups = new Map<string, string[]>();
  for (const day of [...new Set(days)].sort()) {
    const asOf = attribution.get(day)!;
    groups.set(asOf, [...(groups.get(asOf) ?? []), day]);
  }
  return [...groups].map(([asOf, groupDays]) => ({ asOf, days: groupDays, span: { from: windowOf(groupDays[0]!, windowDays).from, to: groupDays.at(-1)! } }));
}
