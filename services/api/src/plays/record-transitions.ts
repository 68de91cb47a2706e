import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { TransitionKind } from '../db/tables/segment-history.table.ts';
import { enqueueWebhookMessages, type WebhookMessage } from '../webhooks/outbox.ts';
import { playText } from './deciding-facts.ts';
import type { TrackedSegment } from './tracked-segments.ts';

/** Members of each tracked segment now (by segment key), by id. */
export type CurrentMembers = ReadonlyMap<string, ReadonlySet<string>>;

export type RecordInput = {
  projectId: string;
  /** The as-of day of the figures the members come from: the day every transition belongs to. */
  asOf: string;
  modelVersion: number;
  segments: readonly TrackedSegment[];
  members: CurrentMembers;
  /** The deciding facts of a member who came to a segment or left it (as the figures show it now). */
  factsOf(segment: TrackedSegment, memberId: string): Record<string, unknown>;
  /** `watchStamp` read before the figures were computed: another check recorded since → `raced`. */
  seenStamp: string | null;
  at: Date;
};

export type RecordOutcome =
  | { status: 'recorded'; baselines: number; entered: number; exited: number; deliveries: number }
  /** Another check of the project was recorded while this one computed: compute again. */
  | { status: 'raced' }
  /** A later day is recorded already (this instance's clock is behind): nothing to do. */
  | { status: 'later-day' };

const lockKey = (projectId: string) => `segment_watch:${projectId}`;
const CHUNK = 1000;

/**
 * When the project's last check was recorded (text, to the microsecond), or null before the first:
 * read before computing the figures, and passed back to `recordSegmentChanges` as `seenStamp`.
 */
export async function watchStamp(db: Kysely<Database>, projectId: string): Promise<string | null> {
  const row = await sql<{ stamp: string | null }>`select max(checked_at)::text as stamp from segment_watches where project_id = ${projectId}`.execute(db);
  return row.rows[0]?.stamp ?? null;
}

/** The webhook id of a transition: the same transition always gives the same id (receivers dedupe on it). */
export const transitionMessageId = (projectId: string, transitionId: number) => `msg_tr_${projectId}_${transitionId}`;

type NewTransition = { segment: TrackedSegment; memberId: string; kind: TransitionKind; facts: Record<string, unknown> };

/**
 * Records one check of a project in ONE transaction, serialised per project by an advisory lock so
 * instances sharing a Postgres never record a transition twice: re-reads the stored memberships,
 * starts a baseline for each segment whose definition is new, appends an `entered`/`exited`
 * transition for each difference, updates the memberships and writes one webhook message per
 * entry or exit into the outbox (baselines send nothing). Segments no longer tracked (a deleted
 * custom segment, a feature the active model stopped naming) are dropped without exits.
 */
export async function recordSegmentChanges(db: Kysely<Database>, input: RecordInput): Promise<RecordOutcome> {
  const { projectId, asOf } = input;
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${lockKey(projectId)}))`.execute(trx);
    if ((await watchStamp(trx, projectId)) !== input.seenStamp) return { status: 'raced' } as const;
    const watches = await trx
      .selectFrom('segment_watches')
      .select(['segment_key', 'definition', sql<string>`checked_day::text`.as('checked_day')])
      .where('project_id', '=', projectId)
      .execute();
    if (watches.some((watch) => watch.checked_day > asOf)) return { status: 'later-day' } as const;
    const watchOf = new Map(watches.map((watch) => [watch.segment_key, watch]));
    const stored = new Map<string, Set<string>>();
    for (const row of await trx.selectFrom('segment_memberships').select(['segment_key', 'member_id']).where('project_id', '=', projectId).execute()) {
      let members = stored.get(row.segment_key);
      if (!members) stored.set(row.segment_key, (members = new Set()));
      members.add(row.member_id);
    }

    const transitions: NewTransition[] = [];
    const joined: Array<{ segment: TrackedSegment; memberId: string; facts: Record<string, unknown> }> = [];
    const left: Array<{ segment: TrackedSegment; memberId: string }> = [];
    const baselined: TrackedSegment[] = [];
    for (const segment of input.segments) {
      const now = input.members.get(segment.key) ?? new Set<string>();
      const watch = watchOf.get(segment.key);
      if (!watch || watch.definition !== segment.definition) {
        baselined.push(segment);
        for (const memberId of now) {
          const facts = input.factsOf(segment, memberId);
          transitions.push({ segment, memberId, kind: 'baseline', facts });
          joined.push({ segment, memberId, facts });
        }
        continue;
      }
      const before = stored.get(segment.key) ?? new Set<string>();
      for (const memberId of now) {
        if (before.has(memberId)) continue;
        const facts = input.factsOf(segment, memberId);
        transitions.push({ segment, memberId, kind: 'entered', facts });
        joined.push({ segment, memberId, facts });
      }
      for (const memberId of before) {
        if (now.has(memberId)) continue;
        transitions.push({ segment, memberId, kind: 'exited', facts: input.factsOf(segment, memberId) });
        left.push({ segment, memberId });
      }
    }

    const tracked = new Set(input.segments.map((segment) => segment.key));
    const dropped = watches.map((watch) => watch.segment_key).filter((key) => !tracked.has(key));
    const cleared = [...dropped, ...baselined.map((segment) => segment.key)];
    if (cleared.length > 0) await trx.deleteFrom('segment_memberships').where('project_id', '=', projectId).where('segment_key', 'in', cleared).execute();
    if (dropped.length > 0) await trx.deleteFrom('segment_watches').where('project_id', '=', projectId).where('segment_key', 'in', dropped).execute();
    const leftBySegment = Map.groupBy(left, (leaving) => leaving.segment.key);
    for (const [segmentKey, leaving] of leftBySegment) {
      for (let start = 0; start < leaving.length; start += CHUNK) {
        const ids = leaving.slice(start, start + CHUNK).map((one) => one.memberId);
        await trx.deleteFrom('segment_memberships').where('project_id', '=', projectId).where('segment_key', '=', segmentKey).where('member_id', 'in', ids).execute();
      }
    }
    for (let start = 0; start < joined.length; start += CHUNK) {
      await trx
        .insertInto('segment_memberships')
        .values(joined.slice(start, start + CHUNK).map(({ segment, memberId, facts }) => ({ project_id: projectId, segment_key: segment.key, member_id: memberId, since_day: asOf, facts: JSON.stringify(facts), model_version: input.modelVersion })))
        .execute();
    }

    const messages: WebhookMessage[] = [];
    for (let start = 0; start < transitions.length; start += CHUNK) {
      const chunk = transitions.slice(start, start + CHUNK);
      const rows = await trx
        .insertInto('segment_transitions')
        .values(chunk.map(({ segment, memberId, kind, facts }) => ({ project_id: projectId, segment_key: segment.key, of: segment.of, member_id: memberId, kind, day: asOf, facts: JSON.stringify(facts), model_version: input.modelVersion })))
        .returning(['transition_id', 'segment_key', 'member_id', 'kind'])
        .execute();
      const byKey = new Map(chunk.map((transition) => [`${transition.kind}\u0000${transition.segment.key}\u0000${transition.memberId}`, transition]));
      for (const row of rows) {
        if (row.kind === 'baseline') continue;
        const transition = byKey.get(`${row.kind}\u0000${row.segment_key}\u0000${row.member_id}`)!;
        messages.push(messageOf(projectId, Number(row.transition_id), transition, asOf, input.modelVersion, input.at));
      }
    }

    // Read first and written as a value: on Citus, functions that are not IMMUTABLE may not appear
    // in an upsert's DO UPDATE SET of a distributed table (docs/scale-out.md).
    const { rows: clock } = await sql<{ now: string }>`select clock_timestamp()::text as now`.execute(trx);
    const checkedAt = sql<Date>`${clock[0]!.now}::timestamptz`;
    for (const segment of input.segments) {
      const baseline = baselined.includes(segment);
      await trx
        .insertInto('segment_watches')
        .values({ project_id: projectId, segment_key: segment.key, of: segment.of, name: segment.name, definition: segment.definition, model_version: input.modelVersion, baseline_day: asOf, checked_day: asOf, checked_at: checkedAt })
        .onConflict((oc) =>
          oc.columns(['project_id', 'segment_key']).doUpdateSet({
            of: segment.of,
            name: segment.name,
            definition: segment.definition,
            model_version: input.modelVersion,
            ...(baseline ? { baseline_day: asOf } : {}),
            checked_day: asOf,
            checked_at: checkedAt,
          }),
        )
        .execute();
    }
    // Every check moves checked_at (clock_timestamp: distinct per check, unlike now()), so a
    // check computed before this one was recorded finds the stamp changed and computes again.
    const deliveries = await enqueueWebhookMessages(trx, projectId, messages);
    const count = (kind: TransitionKind) => transitions.filter((transition) => transition.kind === kind).length;
    return { status: 'recorded', baselines: count('baseline'), entered: count('entered'), exited: count('exited'), deliveries } as const;
  });
}

function messageOf(projectId: string, transitionId: number, transition: NewTransition, day: string, modelVersion: number, at: Date): WebhookMessage {
  const { segment, memberId, kind, facts } = transition;
  return {
    messageId: transitionMessageId(projectId, transitionId),
    type: kind === 'entered' ? 'segment.entered' : 'segment.exited',
    segment: segment.key,
    at,
    data: {
      segment: { key: segment.key, name: segment.name, of: segment.of, builtIn: segment.builtIn },
      ...(segment.of === 'accounts' ? { accountId: memberId } : { userId: memberId }),
      day,
      facts,
      play: kind === 'entered' ? playText(segment.key, memberId, facts) : null,
      modelVersion,
      transitionId,
    },
  };
}
