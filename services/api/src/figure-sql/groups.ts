import { sql, type RawBuilder } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import { groupKeyOf, groupValueOf, type GroupTotals, type GroupValue } from '../domain/groups.ts';
import { featureLabel, featureWeight } from '../domain/score.ts';
import { cappedDailyCounts } from './figures.ts';

// Scores by group in SQL (docs/api.md, "Scores by group"; the domain form is domain/groups.ts
// `groupTotals`): the users' capped counts are added up per group and feature where the rows
// are, so one row per group and feature leaves the database, never one per user.

/**
 * Numbers for the groups of some users' trait values (domain/groups.ts `groupValueOf`, told apart
 * by `groupKeyOf`): `values[n]` is group n's value, the missing group always 0; `ids` and `groups`
 * pair each user with their group's number, in the order given.
 *
 * @example
 * groupNumbers([['u1', 'admin'], ['u2', 1], ['u3', '']]) // { values: [null, 'admin', 1], ids: ['u1', 'u2', 'u3'], groups: [1, 2, 0] }
 */
export function groupNumbers(traits: Iterable<readonly [string, unknown]>): { values: Array<GroupValue | null>; ids: string[]; groups: number[] } {
  const values: Array<GroupValue | null> = [null];
  const numbers = new Map([[groupKeyOf(null), 0]]);
  const ids: string[] = [];
  const groups: number[] = [];
  for (const [userId, trait] of traits) {
    const value = groupValueOf(trait);
    const key = groupKeyOf(value);
    let number = numbers.get(key);
    if (number === undefined) {
      number = values.length;
      numbers.set(key, number);
      values.push(value);
    }
    ids.push(userId);
    groups.push(number);
  }
  return { values, ids, groups };
}

/** Rows `(user_id, grp)` of `groupNumbers`' users, to read as `members`. */
export function numberedMembers(numbered: { ids: readonly string[]; groups: readonly number[] }): RawBuilder<unknown> {
  return sql`select k.user_id, k.grp from unnest(${numbered.ids}::text[], ${numbered.groups}::int[]) as k(user_id, grp)`;
}

/**
 * One row per group of `members` (columns `user_id`, `grp`: each user once, `grp` the group's
 * number): `grp`, `users`, and `active_users`, those of its users in `active` (column `user_id`,
 * repeats allowed).
 */
export function groupUsers(members: RawBuilder<unknown>, active: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select m.grp, count(*)::int as users, count(a.user_id)::int as active_users
    from (${members}) m left join (select distinct a.user_id from (${active}) a) a on a.user_id = m.user_id group by m.grp`;
}

/**
 * One row per group of `members` (as `groupUsers` reads them) and scored event: `grp`, `event`,
 * and `count`, Σ of the group's users' capped daily counts of the event over `rows` (activity
 * rows, `cappedDailyCounts`). A whole number, so a group's points of a feature are its weight ×
 * this, rounded once (`groupTotalsOfCounts`).
 */
export function groupFeatureCounts(model: ScoreModel, members: RawBuilder<unknown>, rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select m.grp, c.event, sum(c.capped)::bigint as count
    from (${cappedDailyCounts(model, rows)}) c join (${members}) m on m.user_id = c.user_id
    group by m.grp, c.event`;
}

export type GroupUsersRow = { grp: number; users: number; active_users: number };
export type GroupFeatureCountRow = { grp: number; event: string; count: number };

/**
 * The groups' totals (domain/groups.ts `GroupTotals`) from `groupUsers`' and `groupFeatureCounts`'
 * rows, `values[grp]` each group's value: a feature's points are its weight × the group's count,
 * the score Σ of its features' points by event name. Equal to `groupTotals` over the users'
 * points whenever the sums are exact in a double — always with whole weights, halves, quarters…
 * (points up to 2^53 of their unit); with other fractional weights (0.1) a double sum depends on
 * its order, and this one rounds each feature's points once.
 */
export function groupTotalsOfCounts(model: ScoreModel, values: ReadonlyArray<GroupValue | null>, users: readonly GroupUsersRow[], counts: readonly GroupFeatureCountRow[]): GroupTotals[] {
  const groups = new Map<number, GroupTotals>();
  for (const row of users) groups.set(row.grp, { value: values[row.grp]!, users: row.users, activeUsers: row.active_users, score: 0, features: new Map() });
  const byEvent = [...counts].sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
  for (const row of byEvent) {
    const group = groups.get(row.grp);
    const points = featureWeight(model, row.event) * Number(row.count);
    if (!group || points === 0) continue;
    group.score += points;
    group.features.set(row.event, { label: featureLabel(model, row.event), points });
  }
  return [...groups.values()];
}
