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
};

type Versions = { all: number; everyDay: number; days: Map<string, number> };

/**
 * @example
 * const changes = createChangeTracker();
 * changes.markProjectChanged(projectId, ['2026-11-23']);
 * changes.dayDataVersion(projectId, '2026-11-23'); // differs from before the mark
 */
export function createChangeTracker(): ChangeTracker {
  const projects = new Map<string, Versions>();
  let epoch = 0;

  function versionsOf(projectId: string): Versions {
    let versions = projects.get(projectId);
    if (!versions) projects.set(projectId, (versions = { all: 0, everyDay: 0, days: new Map() }));
    return versions;
  }

  function markProjectChanged(projectId: string, days?: Iterable<string>): void {
    const versions = versionsOf(projectId);
    versions.all++;
    if (days === undefined) versions.everyDay++;
    else for (const day of days) versions.days.set(day, (versions.days.get(day) ?? 0) + 1);
  }

  return {
    id: randomUUID(),
    markProjectChanged,
    markAllProjectsChanged() {
      for (const projectId of projects.keys()) markProjectChanged(projectId);
      epoch++;
    },
    projectDataVersion(projectId) {
      return `${epoch}:${projects.get(projectId)?.all ?? 0}`;
    },
    dayDataVersion(projectId, day) {
      const versions = projects.get(projectId);
      return `${epoch}:${versions?.everyDay ?? 0}:${versions?.days.get(day) ?? 0}`;
    },
  };
}
