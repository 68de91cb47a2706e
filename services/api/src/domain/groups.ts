/**
 * Scores by group of users (docs/api.md, "Scores by group"): users grouped by the value of one of
 * their traits, each group with its users, active users, score, score per active user and top
 * features. Pure: the query layer hands in who is in scope, their trait values, who was active and
 * each user's capped counts per feature.
 */

/** A trait value that makes a group: strings, numbers and booleans; anything else is missing. */
export type GroupValue = string | number | boolean;

export type GroupMemberInput = {
  userId: string;
  /** The user's trait value as of the day (undefined when the user has none). */
  trait: unknown;
  active: boolean;
};

/** One user's weighted points of one feature in the window (weight × capped count). */
export type FeaturePoints = { userId: string; event: string; label: string; points: number };

export type GroupFigures = {
  value: GroupValue | null;
  missing: boolean;
  users: number;
  activeUsers: number;
  score: number;
  perActiveUser: number;
  topFeatures: Array<{ event: string; label: string; points: number }>;
};

export const TOP_FEATURES_PER_GROUP = 3;

/**
 * The group a trait value puts a user in: the value itself for a string, a finite number or a
 * boolean (`"1"` and `1` are different groups); `null` (the missing group) for anything else —
 * no trait, null, an empty string, an object or an array.
 *
 * @example
 * groupValueOf('admin') // 'admin'
 * groupValueOf({ a: 1 }) // null
 */
export function groupValueOf(trait: unknown): GroupValue | null {
  if (typeof trait === 'string') return trait === '' ? null : trait;
  if (typeof trait === 'number') return Number.isFinite(trait) ? trait : null;
  if (typeof trait === 'boolean') return trait;
  return null;
}

/**
 * A key telling values of different types apart ("1" vs 1 vs true): two users are in one group
 * when their values' keys are equal.
 *
 * @example
 * groupKeyOf('1') // 'string:1'
 * groupKeyOf(1)   // 'number:1'
 */
export const groupKeyOf = (value: GroupValue | null) => (value === null ? 'missing' : `${typeof value}:${String(value)}`);

function compareValues(a: GroupValue | null, b: GroupValue | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const [x, y] = [groupKeyOf(a), groupKeyOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A group before it is ranked: its users, active users, score and points per feature. */
export type GroupTotals = {
  value: GroupValue | null;
  users: number;
  activeUsers: number;
  score: number;
  /** Points per event, only features with points (≠ 0). */
  features: Map<string, { label: string; points: number }>;
};

/**
 * The totals `groupFigures` ranks: the groups of `members` by their trait value (a user listed
 * twice counts once, in the first group), each with its users, active users, and the points of
 * its users (only points of users in `members` count; points of 0 are left out) in all and per
 * feature, summed in the order given.
 */
export function groupTotals(members: readonly GroupMemberInput[], points: readonly FeaturePoints[]): GroupTotals[] {
  const groups = new Map<string, GroupTotals>();
  const groupOfUser = new Map<string, GroupTotals>();
  for (const member of members) {
    if (groupOfUser.has(member.userId)) continue;
    const value = groupValueOf(member.trait);
    const key = groupKeyOf(value);
    let group = groups.get(key);
    if (!group) {
      group = { value, users: 0, activeUsers: 0, score: 0, features: new Map() };
      groups.set(key, group);
    }
    group.users += 1;
    if (member.active) group.activeUsers += 1;
    groupOfUser.set(member.userId, group);
  }
  for (const entry of points) {
    const group = groupOfUser.get(entry.userId);
    if (!group || entry.points === 0) continue;
    group.score += entry.points;
    const feature = group.features.get(entry.event);
    if (feature) feature.points += entry.points;
    else group.features.set(entry.event, { label: entry.label, points: entry.points });
  }
  return [...groups.values()];
}

/**
 * The answer's groups from their totals: `perActiveUser` = score ÷ activeUsers, 0 when nobody
 * was active; top features by points descending, then event name. Groups by score descending,
 * then value (strings, numbers and booleans ordered by type then text; the missing group last).
 */
export function rankGroups(totals: readonly GroupTotals[]): GroupFigures[] {
  return totals
    .map((group) => ({
      value: group.value,
      missing: group.value === null,
      users: group.users,
      activeUsers: group.activeUsers,
      score: group.score,
      perActiveUser: group.activeUsers === 0 ? 0 : group.score / group.activeUsers,
      topFeatures: [...group.features]
        .map(([event, feature]) => ({ event, label: feature.label, points: feature.points }))
        .sort((a, b) => b.points - a.points || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0))
        .slice(0, TOP_FEATURES_PER_GROUP),
    }))
    .sort((a, b) => b.score - a.score || compareValues(a.value, b.value));
}

/**
 * The groups of `members` by their trait value. A group's score is Σ of its users' points (only
 * points of users in `members` count); `perActiveUser` = score ÷ activeUsers, 0 when nobody was
 * active; top features by points descending, then event name. Groups by score descending, then
 * value (strings, numbers and booleans ordered by type then text; the missing group last).
 * `rankGroups` of `groupTotals`; figure-sql/groups.ts is the SQL form of the totals.
 *
 * @example
 * groupFigures([{ userId: 'u1', trait: 'admin', active: true }], [{ userId: 'u1', event: 'Export', label: 'Export', points: 4 }])
 * // [{ value: 'admin', missing: false, users: 1, activeUsers: 1, score: 4, perActiveUser: 4, topFeatures: [{ event: 'Export', label: 'Export', points: 4 }] }]
 */
export function groupFigures(members: readonly GroupMemberInput[], points: readonly FeaturePoints[]): GroupFigures[] {
  return rankGroups(groupTotals(members, points));
}
