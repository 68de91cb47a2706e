import type { Kysely } from 'kysely';
import { DEFAULT_GROUP_TRAIT } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { addDays, today } from '../domain/days.ts';
import type { FigureCache } from './figure-cache.ts';
import { scoresByGroup } from './groups.queries.ts';
import { NPS_DEFAULT_DAYS, npsSummary } from './nps.queries.ts';
import { RETENTION_DEFAULT_DAYS, retention } from './retention-cohorts.queries.ts';
import { findScoreModel } from './score-models.queries.ts';
import { accountScoreTable, userScoreTable } from './scores.queries.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { segmentThresholds } from './segments.queries.ts';

/**
 * Computes the figures nearly every reader asks for first, for every project, one project at a
 * time, so the first call after a start or a new UTC day does not wait for them: as of today
 * (the API's default day) the user and account score tables under the active model (scores,
 * percentiles, rankings), the segment facts (segment pages, the accounts list, health) and the
 * project's scores by the default trait (whose per-day counts serve every other trait); as of
 * yesterday, the last complete day the dashboard's overview shows, its NPS and weekly retention
 * cohorts. (The project's activity series are read from the kept active days: no warming needed.)
 * Later events keep them current through the cache as usual.
 *
 * @example
 * await warmFigures(db, cache);
 */
export async function warmFigures(db: Kysely<Database>, cache: FigureCache, asOf = today()): Promise<void> {
  const projects = await db.selectFrom('projects').select('project_id').orderBy('created_at').execute();
  const yesterday = addDays(asOf, -1);
  for (const { project_id: projectId } of projects) {
    const model = await findScoreModel(db, projectId);
    if (!model) continue;
    await Promise.all([userScoreTable(db, cache, projectId, model, asOf), accountScoreTable(db, cache, projectId, model, asOf)]);
    await segmentFacts(db, cache, projectId, model, await segmentThresholds(db, projectId), asOf);
    // Its per-day counts serve the groups by any other trait too.
    await scoresByGroup(db, cache, projectId, model, { trait: DEFAULT_GROUP_TRAIT, asOf });
    await npsSummary(db, cache, projectId, { from: addDays(yesterday, -(NPS_DEFAULT_DAYS - 1)), to: yesterday, asOf: yesterday });
    await retention(db, cache, projectId, { by: 'week', from: addDays(yesterday, -(RETENTION_DEFAULT_DAYS.week - 1)), to: yesterday });
  }
}

const MB = 2 ** 20;

/**
 * Whether the figure cache's bound (`maxBytes`) kept what a warm-up started at `since` computed:
 * null when it did, else how many warmed figures it dropped again (a first call then computes
 * them from nothing) and the bound to give it: twice what the cache holds plus what it dropped,
 * in whole 256 MB, as readers' other days and ids need room beside the warmed figures.
 */
export function warmedFiguresDropped(cache: FigureCache, since: number, maxBytes: number): { dropped: number; cacheMb: number; suggestedMb: number } | null {
  const { figures, bytes } = cache.droppedSince(since);
  if (figures === 0) return null;
  return { dropped: figures, cacheMb: Math.round((100 * maxBytes) / MB) / 100, suggestedMb: Math.ceil((2 * (cache.accountedBytes() + bytes)) / (256 * MB)) * 256 };
}
