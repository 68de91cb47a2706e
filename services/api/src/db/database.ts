import type { AccountsTable } from './tables/accounts.table.ts';
import type { EventsTable } from './tables/events.table.ts';
import type { IdentitiesTable } from './tables/identities.table.ts';
import type { IngestionWarningsTable } from './tables/ingestion-warnings.table.ts';
import type { MembershipsTable } from './tables/memberships.table.ts';
import type { ProjectsTable } from './tables/projects.table.ts';
import type { UsersTable } from './tables/users.table.ts';

export type Database = {
  projects: ProjectsTable;
  events: EventsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  accounts: AccountsTable;
  memberships: MembershipsTable;
  ingestion_warnings: IngestionWarningsTable;
};
