import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { SeatsRow } from '../domain/segments/build-facts.ts';
import { seatsAsOf } from '../figure-sql/figures.ts';

/** Seats of every account with a seats trait by the end of a day (figure-sql/figures.ts `seatsAsOf`). */
export async function seatsOfAccounts(db: Kysely<Database>, projectId: string, asOf: string): Promise<SeatsRow[]> {
  const result = await sql<SeatsRow>`select s.account_id as "accountId", s.seats from (${seatsAsOf(projectId, asOf)}) s`.execute(db);
  return result.rows;
}
