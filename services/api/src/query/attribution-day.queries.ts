import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays } from '../domain/days.ts';
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
  const result = await sql<{ next: string | null }>`
    select least(
      (select min(link_day) from identity_links where project_id = ${projectId} and link_day > ${asOf}::date),
      (select min((joined_at at time zone 'UTC')::date) from memberships where project_id = ${projectId} and joined_at >= ${endOfDay(asOf)})
    )::text as next`.execute(db);
  const next = result.rows[0]?.next ?? null;
  return next === null ? AS_OF_NOW : addDays(next, -1);
}
