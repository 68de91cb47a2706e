/**
 * The independent oracle of account health and explained score changes (docs/api.md, Health and
 * Why a score changed), computed in plain TypeScript from the events as sent, through the
 * oracle's snapshot and facts (oracle.ts). Written from the docs, not from the service's code.
 */
import { addDays, DEFAULT_SEGMENT_THRESHOLDS, oracleAccountFacts, oracleAccountScore, oracleNps, oracleSnapshot, oracleUserFacts, type Day, type OracleEvent, type OracleScoreModel, type SegmentOptions } from './oracle.ts';

export type OracleHealthModel = {
  weights: Record<'engagement' | 'utilisation' | 'nps' | 'trend' | 'champions' | 'breadth', number>;
  bands: { yellow: number; green: number };
};
export const ORACLE_DEFAULT_HEALTH: OracleHealthModel = {
  weights: { engagement: 25, utilisation: 20, nps: 15, trend: 15, champions: 10, breadth: 15 },
  bands: { yellow: 40, green: 70 },
};
const ORDER = ['engagement', 'utilisation', 'nps', 'trend', 'champions', 'breadth'] as const;

export type OracleHealthComponent = { key: string; raw: number | null; normalised: number | null; weight: number; contribution: number };
export type OracleHealth = { score: number | null; band: 'red' | 'yellow' | 'green' | null; components: OracleHealthComponent[] };

/** Two decimals, halves up (a float a hair off a half is taken as the half it stands for). */
const twoDecimals = (value: number) => Math.round(Number((value * 100).toFixed(6))) / 100;

/**
 * Every account's health as of a day (GET /v1/accounts/:id/health, `health` of GET /v1/accounts).
 *
 * @example
 * oracleHealth(events, { asOf: '2026-03-31' }).get('acct-01')?.score
 *
 * NPS and champion activity read the segment thresholds npsWindowDays and championQuietDays
 * (`options.thresholds`, else the defaults), as the service does. Computed once per list of events and options.
 */
export function oracleHealth(events: readonly OracleEvent[], options: SegmentOptions & { health?: OracleHealthModel }): Map<string, OracleHealth> {
  const key = JSON.stringify([options.asOf, options.model ?? null, options.thresholds ?? null, options.health ?? null]);
  const own = computed.get(events) ?? new Map<string, Map<string, OracleHealth>>();
  computed.set(events, own);
  if (!own.has(key)) own.set(key, computeHealth(events, options));
  return own.get(key)!;
}

const computed = new WeakMap<readonly OracleEvent[], Map<string, Map<string, OracleHealth>>>();

function computeHealth(events: readonly OracleEvent[], options: SegmentOptions & { health?: OracleHealthModel }): Map<string, OracleHealth> {
  const health = options.health ?? ORACLE_DEFAULT_HEALTH;
  const scoreModel = options.model;
  const { asOf } = options;
  const withModel = scoreModel ? { model: scoreModel } : {};
  const thresholds = { ...DEFAULT_SEGMENT_THRESHOLDS, ...options.thresholds };
  const facts = oracleAccountFacts(events, { asOf, ...withModel, thresholds });
  const users = new Map(oracleUserFacts(events, { asOf, ...withModel, thresholds }).map((user) => [user.userId, user]));
  const previousDay = addDays(asOf, -(scoreModel?.windowDays ?? 30));
  const featuresOf = new Map(facts.map((account) => [account.accountId, new Set(oracleAccountScore(events, account.accountId, { asOf, ...withModel }).breakdown.map((row) => row.event))]));
  const projectFeatures = new Set([...featuresOf.values()].flatMap((set) => [...set]));
  const result = new Map<string, OracleHealth>();
  for (const account of facts) {
    const previous = oracleAccountScore(events, account.accountId, { asOf: previousDay, ...withModel });
    const nps = oracleNps(events, { asOf, from: addDays(asOf, -(thresholds.npsWindowDays - 1)), accountId: account.accountId }).nps;
    const champions = account.members.filter((id) => users.get(id)?.traits['isChampion'] === true);
    const activeChampions = champions.filter((id) => !account.quietChampions.includes(id));
    const before = previous.seen ? previous.score : 0;
    const larger = Math.max(account.score, before);
    const raw = {
      engagement: account.percentile,
      utilisation: account.utilisation,
      nps,
      trend: larger === 0 ? null : (account.score - before) / larger,
      champions: champions.length === 0 ? null : activeChampions.length / champions.length,
      breadth: projectFeatures.size === 0 ? null : featuresOf.get(account.accountId)!.size / projectFeatures.size,
    };
    const normalise = {
      engagement: (x: number) => x,
      utilisation: (x: number) => 100 * Math.min(1, x),
      nps: (x: number) => (x + 100) / 2,
      trend: (x: number) => 50 + 50 * x,
      champions: (x: number) => 100 * x,
      breadth: (x: number) => 100 * x,
    };
    const normalised = Object.fromEntries(ORDER.map((key) => [key, raw[key] === null ? null : twoDecimals(normalise[key](raw[key]!))])) as Record<(typeof ORDER)[number], number | null>;
    const known = ORDER.filter((key) => normalised[key] !== null);
    const totalWeight = known.reduce((sum, key) => sum + health.weights[key], 0);
    let score: number | null = null;
    const contributions = new Map<string, number>();
    if (totalWeight > 0) {
      // In hundredths of points × total weight, whole numbers.
      const shares = known.map((key) => ({ key, numerator: health.weights[key] * Math.round(normalised[key]! * 100) }));
      const denominator = 100 * totalWeight;
      const exactTimesDen = shares.reduce((sum, share) => sum + share.numerator, 0);
      score = Math.floor(exactTimesDen / denominator + 0.5 + 1e-12);
      // Largest remainder: floors first, the missing points to the largest remainders (ties: component order).
      for (const share of shares) contributions.set(share.key, Math.floor(share.numerator / denominator));
      let missing = score - [...contributions.values()].reduce((a, b) => a + b, 0);
      const byRemainder = [...shares].sort((a, b) => (b.numerator % denominator) - (a.numerator % denominator) || ORDER.indexOf(a.key) - ORDER.indexOf(b.key));
      for (const share of byRemainder) if (missing-- > 0) contributions.set(share.key, contributions.get(share.key)! + 1);
    }
    result.set(account.accountId, {
      score,
      band: score === null ? null : score >= health.bands.green ? 'green' : score >= health.bands.yellow ? 'yellow' : 'red',
      components: ORDER.map((key) => ({ key, raw: raw[key], normalised: normalised[key], weight: health.weights[key], contribution: contributions.get(key) ?? 0 })),
    });
  }
  return result;
}

type Cells = Map<string, Map<string, number>>; // user → feature → Σ capped count

const snapshots = new WeakMap<readonly OracleEvent[], Map<Day, ReturnType<typeof oracleSnapshot>>>();
/** The oracle's snapshot as of a day, computed once per list of events and day. */
function snapshotOf(events: readonly OracleEvent[], asOf: Day) {
  const own = snapshots.get(events) ?? new Map<Day, ReturnType<typeof oracleSnapshot>>();
  snapshots.set(events, own);
  if (!own.has(asOf)) own.set(asOf, oracleSnapshot(events, asOf));
  return own.get(asOf)!;
}

/** user → feature → Σ over the days in `days` of min(count, cap), as of `asOf`, for one account's or one user's events. */
function cellsIn(events: readonly OracleEvent[], of: { accountId?: string; userId?: string }, days: ReadonlySet<Day>, asOf: Day, model?: OracleScoreModel): Cells {
  const cells: Cells = new Map();
  const perDay = new Map<string, number>();
  for (const event of snapshotOf(events, asOf).events) {
    if (event.source.type !== 'track' || event.user === null || !days.has(event.day)) continue;
    if (of.accountId !== undefined && !event.accounts.includes(of.accountId)) continue;
    if (of.userId !== undefined && event.user !== of.userId) continue;
    const name = event.source.event ?? '';
    if (model?.features ? !(name in model.features) : name.startsWith('$')) continue;
    const key = `${event.user}\u0000${name}\u0000${event.day}`;
    perDay.set(key, (perDay.get(key) ?? 0) + 1);
  }
  for (const [key, count] of perDay) {
    const [user, name] = key.split('\u0000') as [string, string];
    const own = cells.get(user) ?? new Map<string, number>();
    own.set(name, (own.get(name) ?? 0) + Math.min(count, model?.dailyCap ?? 20));
    cells.set(user, own);
  }
  return cells;
}

function activeIn(events: readonly OracleEvent[], accountId: string, from: Day, to: Day, asOf: Day): Set<string> {
  const users = new Set<string>();
  for (const event of snapshotOf(events, asOf).events) {
    if (event.isActivity && event.user !== null && event.day >= from && event.day <= to && event.accounts.includes(accountId)) users.add(event.user);
  }
  return users;
}

export type OracleScoreChanges = {
  scoreFrom: number;
  scoreTo: number;
  change: number;
  byFeature: Array<{ event: string; pointsFrom: number; pointsTo: number; change: number; entered: number; left: number; restated: number }>;
  byUser: Array<{ userId: string; pointsFrom: number; pointsTo: number; change: number; activeFrom: boolean; activeTo: boolean; stopped: boolean }>;
};

/**
 * The change of a score from `from` to `to`, by feature and by user, each part as docs/api.md
 * defines it: entered (days only in the window of to), left (days only in the window of from),
 * restated (days in both, as of to − as of from).
 */
export function oracleScoreChanges(events: readonly OracleEvent[], of: { accountId?: string; userId?: string }, from: Day, to: Day, model?: OracleScoreModel): OracleScoreChanges {
  const length = model?.windowDays ?? 30;
  const fromStart = addDays(from, -(length - 1));
  const toStart = addDays(to, -(length - 1));
  // Walk the days one by one: each day of either window is in exactly one part.
  const days = { entered: new Set<Day>(), left: new Set<Day>(), overlap: new Set<Day>() };
  for (let day = fromStart < toStart ? fromStart : toStart; day <= to; day = addDays(day, 1)) {
    const inFrom = day >= fromStart && day <= from;
    const inTo = day >= toStart && day <= to;
    if (inTo && !inFrom) days.entered.add(day);
    if (inFrom && !inTo) days.left.add(day);
    if (inFrom && inTo) days.overlap.add(day);
  }
  const ranges: Record<'entered' | 'left' | 'overlapTo' | 'overlapFrom', Cells[]> = {
    entered: [cellsIn(events, of, days.entered, to, model)],
    left: [cellsIn(events, of, days.left, from, model)],
    overlapTo: [cellsIn(events, of, days.overlap, to, model)],
    overlapFrom: [cellsIn(events, of, days.overlap, from, model)],
  };
  const weightOf = (name: string) => (model?.features ? model.features[name]!.weight : 1);
  const features = new Map<string, { entered: number; left: number; overlapTo: number; overlapFrom: number }>();
  const users = new Map<string, { from: number; to: number }>();
  for (const part of ['entered', 'left', 'overlapTo', 'overlapFrom'] as const) {
    for (const cells of ranges[part]) {
      for (const [user, own] of cells) {
        for (const [name, count] of own) {
          const feature = features.get(name) ?? { entered: 0, left: 0, overlapTo: 0, overlapFrom: 0 };
          feature[part] += count;
          features.set(name, feature);
          const points = users.get(user) ?? { from: 0, to: 0 };
          if (part === 'entered' || part === 'overlapTo') points.to += weightOf(name) * count;
          else points.from += weightOf(name) * count;
          users.set(user, points);
        }
      }
    }
  }
  const byFeature = [...features]
    .map(([event, c]) => {
      const w = weightOf(event);
      const pointsFrom = w * (c.left + c.overlapFrom);
      const pointsTo = w * (c.entered + c.overlapTo);
      return { event, pointsFrom, pointsTo, change: pointsTo - pointsFrom, entered: w * c.entered, left: c.left === 0 ? 0 : -w * c.left, restated: w * (c.overlapTo - c.overlapFrom) };
    })
    .filter((row) => row.pointsFrom > 0 || row.pointsTo > 0)
    .sort((a, b) => (a.event < b.event ? -1 : 1));
  const activeFrom = of.accountId === undefined ? new Set<string>() : activeIn(events, of.accountId, fromStart, from, from);
  const activeTo = of.accountId === undefined ? new Set<string>() : activeIn(events, of.accountId, toStart, to, to);
  const ids = new Set([...users.keys(), ...activeFrom, ...activeTo]);
  const byUser = [...ids]
    .map((userId) => {
      const points = users.get(userId) ?? { from: 0, to: 0 };
      return { userId, pointsFrom: points.from, pointsTo: points.to, change: points.to - points.from, activeFrom: activeFrom.has(userId), activeTo: activeTo.has(userId), stopped: activeFrom.has(userId) && !activeTo.has(userId) };
    })
    .sort((a, b) => a.change - b.change || (a.userId < b.userId ? -1 : 1));
  const scoreFrom = byFeature.reduce((sum, row) => sum + row.pointsFrom, 0);
  const scoreTo = byFeature.reduce((sum, row) => sum + row.pointsTo, 0);
  return { scoreFrom, scoreTo, change: scoreTo - scoreFrom, byFeature, byUser };
}
