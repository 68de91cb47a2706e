import { segmentConditionSchema, type SegmentCondition, type SegmentRule } from '@uptake/protocol';
import { npsCategory } from '../nps.ts';
import { atLeast, atMost, lessThan, moreThan, nearlyEqual } from './compare.ts';
import type { AccountFacts, UserFacts } from './facts.ts';

/** `featureCount` lookups a rule needs: one per (event, days). */
export type FeatureCountRef = { event: string; days: number };
export const featureCountKey = (ref: FeatureCountRef) => `${ref.days}\u0000${ref.event}`;

/** Feature counts per `featureCountKey`, then per id (absent = 0). */
export type FeatureCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

type NumberOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';

function compareNumber(actual: number | null, op: NumberOp | 'exists', expected: number | boolean): boolean {
  if (op === 'exists') return (actual !== null) === expected;
  if (actual === null || typeof expected !== 'number') return false;
  switch (op) {
    case 'eq':
      return nearlyEqual(actual, expected);
    case 'ne':
      return !nearlyEqual(actual, expected);
    case 'gt':
      return moreThan(actual, expected);
    case 'gte':
      return atLeast(actual, expected);
    case 'lt':
      return lessThan(actual, expected);
    case 'lte':
      return atMost(actual, expected);
  }
}

type Scalar = string | number | boolean | null;

function compareTrait(actual: unknown, op: SegmentCondition['op'], expected: Scalar | Scalar[]): boolean {
  const present = actual !== undefined && actual !== null;
  if (op === 'exists') return present === expected;
  if (!present) return op === 'eq' || op === 'in' ? expected === null || (Array.isArray(expected) && expected.includes(null)) : false;
  if (op === 'in') return Array.isArray(expected) && expected.some((candidate) => candidate === actual);
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  const bothNumbers = typeof actual === 'number' && typeof expected === 'number';
  const bothStrings = typeof actual === 'string' && typeof expected === 'string';
  if (!bothNumbers && !bothStrings) return false;
  if (op === 'gt') return actual > expected;
  if (op === 'gte') return actual >= expected;
  if (op === 'lt') return actual < expected;
  return actual <= expected;
}

const DAY_MS = 86_400_000;
/** Whole days from `day` to `asOf` (negative when `day` is later); null for no day. */
const daysSince = (asOf: string, day: string | null) => (day === null ? null : Math.round((Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / DAY_MS));

function accountNumber(field: string, a: AccountFacts, asOf: string): number | null {
  switch (field) {
    case 'score':
      return a.score;
    case 'percentile':
      return a.percentile;
    case 'utilisation':
      return a.utilisation;
    case 'utilisation30dAgo':
      return a.utilisation30dAgo;
    case 'utilisationChange':
      return a.utilisationChange;
    case 'seats':
      return a.seats;
    case 'activeUsers30d':
      return a.activeUsers30d;
    case 'activeUserDays':
      return a.activeUserDays;
    case 'memberCount':
      return a.memberCount;
    case 'daysSinceFirstSeen':
      return daysSince(asOf, a.firstSeen);
    case 'daysSinceLastActive':
      return daysSince(asOf, a.lastActive);
    case 'daysSinceOnboarded':
      return daysSince(asOf, a.onboardedAt);
    case 'nps':
      return a.nps;
    default:
      return null;
  }
}

function userNumber(field: string, u: UserFacts, asOf: string): number | null {
  switch (field) {
    case 'score':
      return u.score;
    case 'percentile':
      return u.percentile;
    case 'daysSinceFirstSeen':
      return daysSince(asOf, u.firstSeen);
    case 'daysSinceLastActive':
      return daysSince(asOf, u.lastActive);
    case 'nps':
      return u.nps;
    case 'accountCount':
      return u.accounts.length;
    default:
      return null;
  }
}

export type RuleSubject = { of: 'accounts'; facts: AccountFacts } | { of: 'users'; facts: UserFacts };

/** A validated rule with defaults filled in (featureCount days = 30). */
export function normaliseRule(rule: SegmentRule): SegmentRule {
  if ('all' in rule) return { all: rule.all.map(normaliseRule) };
  if ('any' in rule) return { any: rule.any.map(normaliseRule) };
  if ('not' in rule) return { not: normaliseRule(rule.not) };
  return segmentConditionSchema.parse(rule);
}

/** Every (event, days) a rule counts, so the counts are read once for all subjects. */
export function featureCountRefs(rule: SegmentRule): FeatureCountRef[] {
  if ('all' in rule) return rule.all.flatMap(featureCountRefs);
  if ('any' in rule) return rule.any.flatMap(featureCountRefs);
  if ('not' in rule) return featureCountRefs(rule.not);
  return rule.field === 'featureCount' ? [{ event: rule.event, days: rule.days }] : [];
}

/** Every trait a rule compares, so their values are read once for all subjects. */
export function traitRefs(rule: SegmentRule): string[] {
  if ('all' in rule) return rule.all.flatMap(traitRefs);
  if ('any' in rule) return rule.any.flatMap(traitRefs);
  if ('not' in rule) return traitRefs(rule.not);
  return rule.field === 'trait' ? [rule.name] : [];
}

/**
 * Whether a user or account matches a custom rule as of a day. Comparisons with an unknown value
 * (utilisation without seats, never active, no NPS answer, missing trait) are false — use
 * `exists` or `not` to select those. Numbers compare with a 1e-9 tolerance.
 *
 * @example
 * matchesRule({ all: [{ field: 'utilisation', op: 'lt', value: 0.5 }, { field: 'trait', name: 'plan', op: 'eq', value: 'growth' }] },
 *   { of: 'accounts', facts }, '2026-03-31', new Map())
 */
export function matchesRule(rule: SegmentRule, subject: RuleSubject, asOf: string, counts: FeatureCounts): boolean {
  if ('all' in rule) return rule.all.every((child) => matchesRule(child, subject, asOf, counts));
  if ('any' in rule) return rule.any.some((child) => matchesRule(child, subject, asOf, counts));
  if ('not' in rule) return !matchesRule(rule.not, subject, asOf, counts);
  const id = subject.of === 'accounts' ? subject.facts.accountId : subject.facts.userId;
  switch (rule.field) {
    case 'featureCount':
      return compareNumber(counts.get(featureCountKey(rule))?.get(id) ?? 0, rule.op, rule.value);
    case 'trait':
      return compareTrait(subject.facts.traits[rule.name], rule.op, rule.value);
    case 'npsCategory': {
      const category = subject.of === 'users' && subject.facts.nps !== null ? npsCategory(subject.facts.nps) : null;
      if (rule.op === 'exists') return (category !== null) === rule.value;
      if (category === null) return false;
      if (rule.op === 'in') return Array.isArray(rule.value) && rule.value.includes(category);
      return rule.op === 'eq' ? category === rule.value : category !== rule.value;
    }
    default: {
      const actual = subject.of === 'accounts' ? accountNumber(rule.field, subject.facts, asOf) : userNumber(rule.field, subject.facts, asOf);
      return compareNumber(actual, rule.op as NumberOp | 'exists', rule.value);
    }
  }
}
