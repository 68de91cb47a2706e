import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { windowOf } from '../domain/days.ts';
import { featureCountKey, type FeatureCountRef, type FeatureCounts } from '../domain/segments/custom-rule.ts';
import { accountRows, userRows } from '../figure-sql/activity-rows.ts';

/**
 * Sum of the counts of `track` events named `event` in the `days` to `asOf`, per user or account
 * (only those with some), for custom rules.
 */
export async function featureCounts(db: Kysely<Database>, projectId: string, of: 'accounts' | 'users', refs: FeatureCountRef[], asOf: string): Promise<FeatureCounts> {
  const counts = new Map<string, Map<string, number>>();
  for (const ref of refs) {
    const key = featureCountKey(ref);
    if (counts.has(key)) continue;
    const window = windowOf(asOf, ref.days);
    const result =
      of === 'users'
        ? await sql<{ id: string; n: number }>`
            select r.user_id as id, sum(r.count)::int as n from (${userRows(projectId, window, asOf)}) r where r.event = ${ref.event} group by r.user_id`.execute(db)
        : await sql<{ id: string; n: number }>`
            select r.account_id as id, sum(r.count)::int as n from (${accountRows(projectId, window, asOf)}) r where r.event = ${ref.event} group by r.account_id`.execute(db);
    counts.set(key, new Map(result.rows.map((row) => [row.id, row.n])));
  }
  return counts;
}
