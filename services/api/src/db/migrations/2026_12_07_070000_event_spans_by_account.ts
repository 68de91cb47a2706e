import { sql, type Kysely } from 'kysely';

// The spans naming one account: an account's members as of a day (query/activity-history.queries.ts
// `accountMembersAsOf`, which an account's groups read) found by index instead of a scan of
// every span of the project (0.5 s at 10 M events). Spans of a new user, account or event insert
// a row here too; a span's later days (the usual update) touch no indexed column.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index event_spans_by_account on event_spans (project_id, account_key) where account_key <> ''`.execute(db);
}
