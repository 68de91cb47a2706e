import type { AccountsTable } from './tables/accounts.table.ts';
import type { EventsTable } from './tables/events.table.ts';
import type { IdentitiesTable } from './tables/identities.table.ts';
import type { IngestionWarningsTable } from './tables/ingestion-warnings.table.ts';
import type { MembershipsTable } from './tables/memberships.table.ts';
import type { ProjectsTable } from './tables/projects.table.ts';
import type { UsersTable } from './tables/users.table.ts';
import type { AccountSeatsTable, IdentityLinksTable, UserFirstSeenTable, AccountFirstSeenTable, AnonymousDayEventsTable, NpsResponsesTable, UserDayEventsTable } from './tables/derived.table.ts';
import type { ScoreModelsTable } from './tables/score-models.table.ts';
import type { SegmentsTable } from './tables/segments.table.ts';

export type Database = {
  projects: ProjectsTable;
  events: EventsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  accounts: AccountsTable;
  memberships: MembershipsTable;
  ingestion_warnings: IngestionWarningsTable;
  user_day_events: UserDayEventsTable;
  anonymous_day_events: AnonymousDayEventsTable;
  nps_responses: NpsResponsesTable;
  account_first_seen: AccountFirstSeenTable;
  user_first_seen: UserFirstSeenTable;
  identity_links: IdentityLinksTable;
  account_seats: AccountSeatsTable;
  score_models: ScoreModelsTable;
  segments: SegmentsTable;
};
