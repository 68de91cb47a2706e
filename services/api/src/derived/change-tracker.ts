import { randomUUID } from 'node:crypto';

/**
 * Per-project counters bumped after every commit that stored new events, so in-process caches
 * of computed figures know when to recompute. A change names the UTC days whose events it added
 * (figures kept per day recompute only those), or none: then every day may have changed (a new
 * identity link or membership re-attributes old events). Changes stored by other instances
 * sharing a Postgres arrive through the change feed (change-feed.ts).
 *
 * One tracker per app (`buildApp` creates it and hands it to ingestion, the figure cache, the
 * change feed and the rebuild): two apps in one process keep their own versions, and hear of
 * each other's changes only through the change feed, as two processes would.
 */
export type ChangeTracker = {
  /** Names this tracker's announcements on the change feed, so its own listener skips them (already marked). */
  readonly id: string;
  markProjectChanged(projectId: string, days?: Iterable<string>): void;
  /** After a rebuild (or a lost change feed): every cached figure of every project is stale. */
  markAllProjectsChanged(): void;
  /** Changes whenever anything of the project changed. */
  projectDataVersion(projectId: string): string;
  /** Changes whenever the project's figures of one UTC day may have changed. */
  dayDataVersion(projectId: string, day: string): string;
  /**
   * Changes whenever the project's figures as of a UTC day may have changed: a change naming that
   * day or an earlier one, or every day. Events of later days (today's, for a figure as of last
   * month) leave it as it was.
   */
  dataVersionUpTo(projectId: string, day: string): string;
  /**
   * When (ms since the epoch) the project's data first changed after `projectVersion` (a value
   * of `projectDataVersion`) was current — only changes naming `days` (one day, or any day up to
   * `upTo`) or every day, when given; undefined when it has not changed since. A change older
   * than the tracker keeps (ten seconds) answers 0: long ago.
   */
  outdatedAt(projectId: string, projectVersion: string, days?: DaysNamed): number | undefined;
  /**
   * The UTC days the project's changes after `projectVersion` named (empty: none since), or null
   * when any day may have changed: a change named no day (a link, a membership, a deletion), a
   * rebuild came between, or the changes are no longer kept.
   */
  changedDaysSince(projectId: string, projectVersion: string): string[] | null;
};

/** Which days a change must name to count: one day, or any day up to one. */
export type DaysNamed = string | { upTo: string };

const namesAny = (days: readonly string[], wanted: DaysNamed) => (typeof wanted === 'string' ? days.includes(wanted) : days.some((day) => day <= wanted.upTo));

/** How long the tracker remembers when each change happened: twice the largest staleness bound (UPTAKE_FIGURE_MAX_STALENESS_MS, at most 5 s). */
const CHANGES_KEPT_MS = 10_000;

/** One change of a project: its number (the project's version after it), when, and the days it named (null: every day). */
type Change = { all: number; at: number; days: readonly string[] | null };

type Versions = { all: number; everyDay: number; days: Map<string, number>; changes: Change[] };

/**
 * @example
 * const changes = createChangeTracker();
 * changes.markProjectChanged(projectId, ['2026-11-23']);
 * changes.dayDataVersion(projectId, '2026-11-23'); // differs from before the mark
 */
export function createChangeTracker(): ChangeTracker {
  const projects = new Map<string, Versions>();
  let epoch = 0;
  // When each epoch began (a rebuild or a lost change feed marks every figure stale).
  const epochStarts: number[] = [0];

  function versionsOf(projectId: string): Versions {
    let versions = projects.get(projectId);
    if (!versions) projects.set(projectId, (versions = { all: 0, everyDay: 0, days: new Map(), changes: [] }));
    return versions;
  }

  function markProjectChanged(projectId: string, days?: Iterable<string>): void {
    const versions = versionsOf(projectId);
    versions.all++;
    const named = days === undefined ? null : [...days];
    if (named === null) versions.everyDay++;
    else for (const day of named) versions.days.set(day, (versions.days.get(day) ?? 0) + 1);
    const now = Date.now();
    versions.changes.push({ all: versions.all, at: now, days: named });
    // Dropped in runs, not one by one: a busy project records a change per stored batch.
    if (versions.changes.length > 64 && versions.changes[0]!.at < now - 2 * CHANGES_KEPT_MS) {
      versions.changes = versions.changes.filter((change) => change.at >= now - CHANGES_KEPT_MS);
    }
  }

  /** Where the change after version number `seen` is in the kept changes (below 0: no longer kept). */
  const indexAfter = (versions: Versions, seen: number) => seen + 1 - (versions.changes[0]?.all ?? versions.all + 1);

  return {
    id: randomUUID(),
    markProjectChanged,
    markAllProjectsChanged() {
      for (const projectId of projects.keys()) markProjectChanged(projectId);
      epoch++;
      epochStarts.push(Date.now());
    },
    projectDataVersion(projectId) {
      return `${epoch}:${projects.get(projectId)?.all ?? 0}`;
    },
    dayDataVersion(projectId, day) {
      const versions = projects.get(projectId);
      return `${epoch}:${versions?.everyDay ?? 0}:${versions?.days.get(day) ?? 0}`;
    },
    dataVersionUpTo(projectId, day) {
      const versions = projects.get(projectId);
      // Counts only grow, so the sum up to the day changes exactly when a change names one of its days.
      let named = 0;
      for (const [changed, count] of versions?.days ?? []) if (changed <= day) named += count;
      return `${epoch}:${versions?.everyDay ?? 0}:${named}`;
    },
    outdatedAt(projectId, projectVersion, days) {
      const [since, seen] = projectVersion.split(':').map(Number) as [number, number];
      const epochChange = since < epoch ? (epochStarts[since + 1] ?? 0) : undefined;
      const versions = projects.get(projectId);
      if (versions === undefined || versions.all === seen) return epochChange;
      // Changes are kept in order, numbered one after the other: the one after `seen` is found by
      // its number; if it is no longer kept, it happened long ago.
      const { changes } = versions;
      let index = indexAfter(versions, seen);
      if (index < 0) return 0;
      while (index < changes.length && days !== undefined && changes[index]!.days !== null && !namesAny(changes[index]!.days!, days)) index++;
      const first = changes[index];
      if (first === undefined) return epochChange;
      return epochChange === undefined ? first.at : Math.min(first.at, epochChange);
    },
    changedDaysSince(projectId, projectVersion) {
      const [since, seen] = projectVersion.split(':').map(Number) as [number, number];
      if (since < epoch) return null;
      const versions = projects.get(projectId);
      if (versions === undefined || versions.all === seen) return [];
      const index = indexAfter(versions, seen);
      if (index < 0) return null;
      const days = new Set<string>();
      for (const change of versions.changes.slice(index)) {
        if (change.days === null) return null;
        for (const day of change.days) days.add(day);
      }
      return [...days];
    },
  };
}
