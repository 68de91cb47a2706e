import type { Kysely } from 'kysely';
import type { ScoreModel, SegmentRule, SegmentThresholds } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { accountsInSegment, BUILT_IN_SEGMENTS, builtInSegment, FEATURE_UNUSED_PREFIX, usersInSegment, type BuiltInSegment } from '../domain/segments/built-in.ts';
import { featureCountRefs, matchesRule, traitRefs } from '../domain/segments/custom-rule.ts';
import type { AccountFacts, SegmentFacts, UserFacts } from '../domain/segments/facts.ts';
import { featureCounts } from './feature-counts.queries.ts';
import { traitsAsOf } from './traits-as-of.queries.ts';

/** A segment to compute: built-in (by key) or custom (with its rule). */
export type SegmentDefinition = { key: string; name: string; of: 'accounts' | 'users'; builtIn: boolean; rule: SegmentRule | null };

export type SegmentMembers = { of: 'accounts'; members: AccountFacts[] } | { of: 'users'; members: UserFacts[] };

/**
 * The built-in segments' members found in one computed facts figure, per segment and thresholds:
 * a segment page, the accounts list and a member's own segments read them again and again from
 * the same facts (every built-in checked over every user for one user's segments), and the facts
 * are a new object whenever they are recomputed, so the members go with them.
 */
const builtInMembers = new WeakMap<SegmentFacts, Map<string, SegmentMembers>>();

function builtInMembersOf(segment: SegmentDefinition, facts: SegmentFacts, t: SegmentThresholds): SegmentMembers {
  const { asOf } = facts;
  return segment.of === 'accounts' ? { of: 'accounts', members: accountsInSegment(segment.key, facts.accounts, t, asOf) } : { of: 'users', members: usersInSegment(segment.key, facts.users, t, asOf) };
}

/**
 * The members of a segment as of the facts' day, by id, with their facts.
 *
 * @example
 * await segmentMembers(db, projectId, { key: 'dormant', of: 'users', builtIn: true, … }, facts, thresholds)
 */
export async function segmentMembers(db: Kysely<Database>, projectId: string, segment: SegmentDefinition, facts: SegmentFacts, t: SegmentThresholds): Promise<SegmentMembers> {
  const { asOf } = facts;
  if (segment.builtIn) {
    let found = builtInMembers.get(facts);
    if (!found) builtInMembers.set(facts, (found = new Map()));
    const key = JSON.stringify([segment.of, segment.key, t]);
    let members = found.get(key);
    if (!members) found.set(key, (members = builtInMembersOf(segment, facts, t)));
    return members;
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
 * The features `feature-unused:<event>` exists for under a score model: those it names, sorted
 * (docs/api.md). Version 1 scores every track event and names none, so it has no such segment:
 * one segment per event name ever sent would let senders grow every user's segment check.
 */
export function featureUnusedFeatures(model: ScoreModel): string[] {
  return model.everyTrackEvent ? [] : Object.keys(model.features).sort();
}

/** The built-in segment a key names under a score model (`feature-unused:` only for its features), or undefined. */
export function builtInSegmentUnder(key: string, model: ScoreModel): BuiltInSegment | undefined {
  const segment = builtInSegment(key);
  if (segment && key.startsWith(FEATURE_UNUSED_PREFIX) && !featureUnusedFeatures(model).includes(key.slice(FEATURE_UNUSED_PREFIX.length))) return undefined;
  return segment;
}

/**
 * The built-ins as GET /v1/segments lists them under a score model: `feature-unused:<event>` once
 * per feature the model names, in place of the pattern.
 */
export function listedBuiltIns(model: ScoreModel): BuiltInSegment[] {
  return BUILT_IN_SEGMENTS.flatMap((segment) =>
    segment.key.startsWith(FEATURE_UNUSED_PREFIX) ? featureUnusedFeatures(model).map((feature) => builtInSegment(`${FEATURE_UNUSED_PREFIX}${feature}`)!) : [segment],
  );
}

/**
 * Every segment definition one user or account can be in: the built-ins of that kind (for users,
 * `feature-unused:<event>` for each feature the score model names), then the custom segments of
 * that kind.
 */
export function segmentsToCheck(of: 'accounts' | 'users', model: ScoreModel, custom: SegmentDefinition[]): SegmentDefinition[] {
  const builtIns: SegmentDefinition[] = BUILT_IN_SEGMENTS.filter((segment) => segment.of === of && !segment.key.startsWith(FEATURE_UNUSED_PREFIX)).map((segment) => ({
    key: segment.key,
    name: segment.name,
    of: segment.of,
    builtIn: true,
    rule: null,
  }));
  if (of === 'users') {
    for (const feature of featureUnusedFeatures(model)) {
      const segment = builtInSegment(`${FEATURE_UNUSED_PREFIX}${feature}`);
      if (segment) builtIns.push({ key: segment.key, name: segment.name, of: 'users', builtIn: true, rule: null });
    }
  }
  return [...builtIns, ...custom.filter((segment) => segment.of === of)];
}
