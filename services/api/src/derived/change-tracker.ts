/**
 * Per-project counters bumped after every commit that stored new events, so in-process caches
 * of computed figures know when to recompute. A change names the UTC days whose events it added
 * (figures kept per day recompute only those), or none: then every day may have changed (a new
 * identity link or membership re-attributes old events). Changes stored by other instances
 * sharing a Postgres arrive through the change feed (change-feed.ts).
 */
type Versions = { all: number; everyDay: number; days: Map<string, number> };
const projects = new Map<string, Versions>();
let epoch = 0;

function versionsOf(projectId: string): Versions {
  let versions = projects.get(projectId);
  if (!versions) projects.set(projectId, (versions = { all: 0, everyDay: 0, days: new Map() }));
  return versions;
}

export function markProjectChanged(projectId: string, days?: Iterable<string>): void {
  const versions = versionsOf(projectId);
  versions.all++;
  if (days === undefined) versions.everyDay++;
  else for (const day of days) versions.days.set(day, (versions.days.get(day) ?? 0) + 1);
}

/** Changes whenever anything of the project changed. */
export function projectDataVersion(projectId: string): string {
  return `${epoch}:${projects.get(projectId)?.all ?? 0}`;
}

/** Changes whenever the project's figures of one UTC day may have changed. */
export function dayDataVersion(projectId: string, day: string): string {
  const versions = projects.get(projectId);
  return `${epoch}:${versions?.everyDay ?? 0}:${versions?.days.get(day) ?? 0}`;
}

/** After a rebuild: every cached figure of every project is stale. */
export function markAllProjectsChanged(): void {
  for (const projectId of projects.keys()) markProjectChanged(projectId);
  epoch++;
}
