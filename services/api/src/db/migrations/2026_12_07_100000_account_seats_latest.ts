import { sql, type Kysely } from 'kysely';

// Every account's seats as of a day (figure-sql/figures.ts `seatsAsOf`: the segment facts, read
// again after each new event) is the first row per account in this order: read in index order
// instead of sorting every seats row (at 10 M events: 8 ms instead of 150 ms). The columns make it
// enough alone (an index-only scan).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index account_seats_latest on account_seats (project_id, account_id, timestamp desc, message_id desc) include (seats)`.execute(db);
}
