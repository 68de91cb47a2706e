import { sql, type Kysely } from 'kysely';
import type { SegmentTransition } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { builtInSegment } from '../domain/segments/built-in.ts';

type TransitionRow = {
  transition_id: number;
  kind: SegmentTransition['kind'];
  segment_key: string;
  of: 'accounts' | 'users';
  member_id: string;
  day: string;
  facts: unknown;
  model_version: number;
  recorded_at: Date;
  name: string | null;
};

const selectTransitions = (db: Kysely<Database>) =>
  db
    .selectFrom('segment_transitions as t')
    .leftJoin('segment_watches as w', (join) => join.onRef('w.project_id', '=', 't.project_id').onRef('w.segment_key', '=', 't.segment_key'))
    .select(['t.transition_id', 't.kind', 't.segment_key', 't.of', 't.member_id', sql<string>`t.day::text`.as('day'), 't.facts', 't.model_version', 't.recorded_at', 'w.name']);

function toTransition(row: TransitionRow): SegmentTransition {
  return {
    transitionId: Number(row.transition_id),
    kind: row.kind,
    // A segment no longer watched (a deleted custom segment) keeps its key as its name.
    segment: { key: row.segment_key, name: row.name ?? builtInSegment(row.segment_key)?.name ?? row.segment_key, of: row.of },
    memberId: row.member_id,
    day: row.day,
    facts: (typeof row.facts === 'string' ? JSON.parse(row.facts) : row.facts) as Record<string, unknown>,
    modelVersion: row.model_version,
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}

/**
 * Entries and exits of one segment on the days `since` … `until`, in the order recorded, after
 * transition `after`: at most `limit + 1` (the extra one tells a next page exists).
 */
export async function segmentChanges(db: Kysely<Database>, projectId: string, segmentKey: string, range: { since: string; until: string }, after: number | undefined, limit: number): Promise<SegmentTransition[]> {
  const rows = await selectTransitions(db)
    .where('t.project_id', '=', projectId)
    .where('t.segment_key', '=', segmentKey)
    .where('t.kind', 'in', ['entered', 'exited'])
    .where(sql<boolean>`t.day between ${range.since}::date and ${range.until}::date`)
    .$if(after !== undefined, (query) => query.where('t.transition_id', '>', after!))
    .orderBy('t.transition_id')
    .limit(limit + 1)
    .execute();
  return rows.map((row) => toTransition(row as TransitionRow));
}

/** Every transition of one account or user (baselines included), in the order recorded, after `after`: at most `limit + 1`. */
export async function memberHistory(db: Kysely<Database>, projectId: string, of: 'accounts' | 'users', memberId: string, after: number | undefined, limit: number): Promise<SegmentTransition[]> {
  const rows = await selectTransitions(db)
    .where('t.project_id', '=', projectId)
    .where('t.of', '=', of)
    .where('t.member_id', '=', memberId)
    .$if(after !== undefined, (query) => query.where('t.transition_id', '>', after!))
    .orderBy('t.transition_id')
    .limit(limit + 1)
    .execute();
  return rows.map((row) => toTransition(row as TransitionRow));
}

/** The segments one account or user is in as last recorded, by key, with the day it entered. */
export async function currentSegmentsOf(db: Kysely<Database>, projectId: string, of: 'accounts' | 'users', memberId: string): Promise<Array<{ key: string; name: string; since: string }>> {
  return db
    .selectFrom('segment_memberships as m')
    .innerJoin('segment_watches as w', (join) => join.onRef('w.project_id', '=', 'm.project_id').onRef('w.segment_key', '=', 'm.segment_key'))
    .select(['m.segment_key as key', 'w.name', sql<string>`m.since_day::text`.as('since')])
    .where('m.project_id', '=', projectId)
    .where('m.member_id', '=', memberId)
    .where('w.of', '=', of)
    .orderBy('m.segment_key')
    .execute();
}

/** The segment a key names in the history: its watch (name, kind), else a built-in's or custom segment's name; undefined when the project never had it. */
export async function historySegment(db: Kysely<Database>, projectId: string, key: string): Promise<{ key: string; name: string; of: 'accounts' | 'users' } | undefined> {
  const watch = await db.selectFrom('segment_watches').select(['name', 'of']).where('project_id', '=', projectId).where('segment_key', '=', key).executeTakeFirst();
  if (watch) return { key, name: watch.name, of: watch.of };
  const builtIn = builtInSegment(key);
  if (builtIn) return { key, name: builtIn.name, of: builtIn.of };
  const custom = await db.selectFrom('segments').select(['name', 'of']).where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
  if (custom) return { key, name: custom.name, of: custom.of };
  const recorded = await db.selectFrom('segment_transitions').select('of').where('project_id', '=', projectId).where('segment_key', '=', key).limit(1).executeTakeFirst();
  return recorded ? { key, name: key, of: recorded.of } : undefined;
}
