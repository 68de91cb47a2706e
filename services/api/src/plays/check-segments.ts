import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { accountFactsForWire, findById, userFactsForWire } from '../domain/segments/facts.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { segmentFacts } from '../query/segments-facts.queries.ts';
import { segmentMembers } from '../query/segments-members.queries.ts';
import { decidingFacts } from './deciding-facts.ts';
import { recordSegmentChanges, watchStamp, type RecordOutcome } from './record-transitions.ts';
import { trackedSegments } from './tracked-segments.ts';

/**
 * Checks every tracked segment of one project as of a day: computes the members from the figures
 * (the same segment facts and rules the query API answers with), then records the differences
 * from the stored memberships in one transaction (record-transitions.ts). `at`: when the
 * transitions were found (the webhook payloads' timestamp). `signal`: once aborted (the watcher
 * stopping), the check gives up at its next step and records nothing.
 *
 * @example
 * await checkProjectSegments(db, cache, projectId, '2026-12-05');
 */
export async function checkProjectSegments(db: Kysely<Database>, cache: FigureCache, projectId: string, asOf: string, at: Date = new Date(), signal?: AbortSignal): Promise<RecordOutcome> {
  // Read before the figures: a check recorded meanwhile (by another instance) makes this one compute again.
  const seenStamp = await watchStamp(db, projectId);
  signal?.throwIfAborted();
  const { model, thresholds, segments } = await trackedSegments(db, projectId);
  signal?.throwIfAborted();
  const facts = await segmentFacts(db, cache, projectId, model, thresholds, asOf);
  const members = new Map<string, Set<string>>();
  for (const segment of segments) {
    signal?.throwIfAborted();
    const found = await segmentMembers(db, projectId, segment, facts, thresholds);
    members.set(segment.key, new Set(found.of === 'accounts' ? found.members.map((member) => member.accountId) : found.members.map((member) => member.userId)));
  }
  // Past this point the check is one transaction: a stopping store waits for it to commit or roll back.
  signal?.throwIfAborted();
  return recordSegmentChanges(db, {
    projectId,
    asOf,
    modelVersion: model.version,
    segments,
    members,
    // Worked out for the members that came or left only. One who left may be gone from the
    // figures altogether (nothing to show then).
    factsOf: (segment, memberId) => {
      if (segment.of === 'accounts') {
        const own = findById(facts.accounts, memberId, (account) => account.accountId);
        return own ? decidingFacts(segment.key, segment.builtIn, accountFactsForWire(own)) : {};
      }
      const own = findById(facts.users, memberId, (user) => user.userId);
      return own ? decidingFacts(segment.key, segment.builtIn, userFactsForWire(own)) : {};
    },
    seenStamp,
    at,
  });
}
