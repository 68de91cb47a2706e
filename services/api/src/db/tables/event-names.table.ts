import type { Generated } from 'kysely';

/** Every distinct non-reserved track event name a project stored (the per-project limit counts these). */
export type EventNamesTable = {
  project_id: string;
  event: string;
  first_seen_at: Generated<Date>;
};

/** How many rows event_names holds per project; its row is locked by a transaction adding names. */
export type EventNameCountsTable = {
  project_id: string;
  names: number;
};
