import { sql, type Kysely } from 'kysely';

// A fill of a new version's points goes a day per transaction and took 40 min at 100 M events;
// the last day it committed lets a fill stopped by a deploy or a crash go on from there instead
// of recomputing every day again (derived/score-points.ts `fillScorePoints`). Versions filling
// when this runs have no mark and start over, as before.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table score_point_versions add column filled_through date`.execute(db);
}
