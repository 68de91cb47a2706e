import type { Kysely } from 'kysely';
import type { ScoreModel, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { customDefinitions } from '../query/member-segments.ts';
import { findScoreModel } from '../query/score-models.queries.ts';
import { segmentsToCheck, type SegmentDefinition } from '../query/segments-members.queries.ts';
import { segmentThresholds } from '../query/segments.queries.ts';

/**
 * A segment the watcher records transitions of, with `definition`: everything that decides its
 * members besides the data (the active score model version, and the thresholds for a built-in or
 * the rule for a custom segment). A new definition starts a new baseline (docs/plays.md).
 */
export type TrackedSegment = SegmentDefinition & { definition: string };

export type TrackedSegments = { model: ScoreModel; thresholds: SegmentThresholds; segments: TrackedSegment[] };

/**
 * Every segment of a project the watcher tracks: each built-in (`feature-unused:<event>` for the
 * features the active score model names) and each custom segment, under the active model.
 *
 * @example
 * const { model, segments } = await trackedSegments(db, projectId);
 */
export async function trackedSegments(db: Kysely<Database>, projectId: string): Promise<TrackedSegments> {
  const [model, thresholds, custom] = await Promise.all([findScoreModel(db, projectId), segmentThresholds(db, projectId), customDefinitions(db, projectId)]);
  // Every project has an active model (version 1 is implicit); its absence is a broken store.
  if (!model) throw new Error(`project ${projectId} has no active score model`);
  const segments = [...segmentsToCheck('accounts', model, custom), ...segmentsToCheck('users', model, custom)].map((segment) => ({
    ...segment,
    definition: JSON.stringify({ model: model.version, of: segment.of, ...(segment.builtIn ? { thresholds } : { rule: segment.rule }) }),
  }));
  return { model, thresholds, segments };
}
