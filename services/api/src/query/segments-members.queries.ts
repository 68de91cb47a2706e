import type { Kysely } from 'kysely';
import type { ScoreModel, SegmentRule, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { accountSegmentMembers, BUILT_IN_SEGMENTS, builtInSegment, FEATURE_UNUSED_PREFIX, userSegmentMembers } from '../domain/segments/built-in.ts';
import { featureCountRefs, matchesRule, traitRefs } from '../domain/segments/custom-rule.ts';
import type { AccountFacts, SegmentFacts, UserFacts } from '../domain/segments/facts.ts';
import type { FigureCache } from './figure-cache.ts';
import { featureCounts, trackedFeatures, traitsAsOf } from './segments-facts.queries.ts';

/** A segment to compute: built-in (by key) or custom (with its rule). */
export type SegmentDefinition = { key: string; name: string; of: 'accounts' | 'users'; builtIn: boolean; rule: SegmentRule | null };

export type SegmentMembers = { of: 'accounts'; members: AccountFacts[] } | { of: 'users'; members: UserFacts[] };

/**
 * The members of a segment as of the facts' day, by id, with their facts.
 *
 * @example
 * await segmentMembers(db, projectId, { key: 'dormant', of: 'users', builtIn: true, … }, facts, thresholds)
 */
export async function segmentMembers(db: Kysely<Database>, projectId: string, segment: SegmentDefinition, facts: SegmentFacts, t: SegmentThresholds): Promise<SegmentMembers> {
  const { asOf } = facts;
  if (segment.builtIn) {
    if (segment.of === 'accounts') {
      const ids = new Set(accountSegmentMembers(segment.key, facts.accounts, t, asOf));
      return { of: 'accounts', members: facts.accounts.filter((account) => ids.has(account.accountId)) };
    }
    const ids = new Set(userSegmentMembers(segment.key, facts.users, t, asOf));
    return { of: 'users', members: facts.users.filter((user) => ids.has(user.userId)) };
  }
  const rule = segment.rule!;
  const names = traitRefs(rule);
  const [counts, traits] = await Promise.all([featureCounts(db, projectId, segment.of, featureCountRefs(rule), asOf), traitsAsOf(db, projectId, segment.of, names, asOf)]);
  // The facts hold only the traits they read themselves; the rule's come from `traits`.
  const ruleTraits = (id: string) => (names.length === 0 ? {} : (traits.get(id) ?? {}));
  if (segment.of === 'accounts') {
    return { of: 'accounts', members: facts.accounts.filter((account) => matchesRule(rule, { of: 'accounts', facts: { ...account, traits: ruleTraits(account.accountId) } }, asOf, counts)) };
  }
  return { of: 'users', members: facts.users.filter((user) => matchesRule(rule, { of: 'users', facts: { ...user, traits: ruleTraits(user.userId) } }, asOf, counts)) };
}

/**
 * Every segment definition one user or account can be in: the built-ins of that kind (for users,
 * `feature-unused:<event>` for each feature of the score model — every tracked event name under
 * version 1), then the custom segments of that kind.
 */
export async function segmentsToCheck(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  of: 'accounts' | 'users',
  model: ScoreModel,
  asOf: string,
  custom: SegmentDefinition[],
): Promise<SegmentDefinition[]> {
  const builtIns: SegmentDefinition[] = BUILT_IN_SEGMENTS.filter((segment) => segment.of === of && !segment.key.startsWith(FEATURE_UNUSED_PREFIX)).map((segment) => ({
    key: segment.key,
    name: segment.name,
    of: segment.of,
    builtIn: true,
    rule: null,
  }));
  if (of === 'users') {
    const features = model.everyTrackEvent ? await trackedFeatures(db, cache, projectId, asOf) : Object.keys(model.features).sort();
    for (const feature of features) {
      const segment = builtInSegment(`${FEATURE_UNUSED_PREFIX}${feature}`);
      if (segment) builtIns.push({ key: segment.key, name: segment.name, of: 'users', builtIn: true, rule: null });
    }
  }
  return [...builtIns, ...custom.filter((segment) => segment.of === of)];
}
