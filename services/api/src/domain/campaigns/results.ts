const DAY_MS = 86_400_000;

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * Whether a goal event at `goalAt` counts for a user assigned at `assignedAt`: from the assignment
 * to `withinDays` × 24 h after it, both ends included. results.queries.ts is the same rule in SQL.
 */
export function reachedGoalWithin(assignedAt: Date, goalAt: Date, withinDays: number): boolean {
  const from = assignedAt.getTime();
  return goalAt.getTime() >= from && goalAt.getTime() <= from + withinDays * DAY_MS;
}

/**
 * Whether a segment exit recorded on `exitDay` (a UTC day, as segment history records them) counts:
 * from the assignment's UTC day to `withinDays` days after it, both included.
 */
export function reachedExitWithin(assignedAt: Date, exitDay: string, withinDays: number): boolean {
  const assignedDay = assignedAt.toISOString().slice(0, 10);
  const last = new Date(Date.parse(`${assignedDay}T00:00:00Z`) + withinDays * DAY_MS).toISOString().slice(0, 10);
  return exitDay >= assignedDay && exitDay <= last;
}

export type Interval = { low: number; high: number };

/**
 * Wilson score interval of a proportion (successes of n), for z; undefined when n is 0.
 *
 * @example
 * wilsonInterval(5, 10) // → { low: 0.2366…, high: 0.7634… }
 */
export function wilsonInterval(successes: number, n: number, z = Z95): Interval | undefined {
  if (n === 0) return undefined;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval (method 10, Newcombe 1998) of the difference of two
 * independent proportions p1 − p2, from each one's Wilson interval. Chosen over Wald because it
 * stays inside [−1, 1] and keeps its coverage with small groups and rates near 0 or 1 (a 10 %
 * holdout of a small audience). Undefined when either group is empty.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z = Z95): Interval | undefined {
  const a = wilsonInterval(x1, n1, z);
  const b = wilsonInterval(x2, n2, z);
  if (!a || !b) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return {
    low: d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/** One assigned user as results count them (their first assignment decides the group). */
export type AssignedUser = { group: 'exposed' | 'holdout'; converted: boolean; shown: boolean; clicked: boolean; dismissed: boolean };

/**
 * A campaign's results (docs/campaigns.md, "Results"): per group the users, conversions and the
 * rate; the lift (exposed rate − holdout rate, absolute), the relative lift (÷ holdout rate) and
 * its 95 % Newcombe interval.
 */
export function campaignResultFigures(users: Iterable<AssignedUser>) {
  const exposed = { users: 0, shown: 0, clicked: 0, dismissed: 0, converted: 0 };
  const holdout = { users: 0, converted: 0 };
  for (const user of users) {
    if (user.group === 'holdout') {
      holdout.users += 1;
      if (user.converted) holdout.converted += 1;
      continue;
    }
    exposed.users += 1;
    if (user.shown) exposed.shown += 1;
    if (user.clicked) exposed.clicked += 1;
    if (user.dismissed) exposed.dismissed += 1;
    if (user.converted) exposed.converted += 1;
  }
  const rateOf = (converted: number, n: number) => (n === 0 ? null : converted / n);
  const exposedRate = rateOf(exposed.converted, exposed.users);
  const holdoutRate = rateOf(holdout.converted, holdout.users);
  const lift = exposedRate === null || holdoutRate === null ? null : exposedRate - holdoutRate;
  const interval = newcombeInterval(exposed.converted, exposed.users, holdout.converted, holdout.users);
  return {
    exposed: { ...exposed, rate: exposedRate },
    holdout: { ...holdout, rate: holdoutRate },
    lift,
    relativeLift: lift === null || holdoutRate === null || holdoutRate === 0 ? null : lift / holdoutRate,
    confidenceInterval: interval ? { level: 0.95 as const, low: interval.low, high: interval.high } : null,
  };
}
