/**
 * A per-project counter bumped after every commit that stored new events, so in-process caches
 * of computed figures know when to recompute. Other instances see the change after the cache's
 * maximum age.
 */
const versions = new Map<string, number>();

export function markProjectChanged(projectId: string): void {
  versions.set(projectId, (versions.get(projectId) ?? 0) + 1);
}

export function projectDataVersion(projectId: string): number {
  return versions.get(projectId) ?? 0;
}

/** After a rebuild: every cached figure of every project is stale. */
export function markAllProjectsChanged(): void {
  for (const key of versions.keys()) markProjectChanged(key);
  epoch++;
}

let epoch = 0;
export function dataEpoch(): number {
  return epoch;
}
