import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

/** Every account seen by the end of a day, with the first day it was seen (account_first_seen). */
export async function accountsSeen(db: Kysely<Database>, projectId: string, asOf: string): Promise<Array<{ accountId: string; firstDay: string }>> {
  const result = await sql<{ accountId: string; firstDay: string }>`
    select account_id as "accountId", first_day::text as "firstDay" from account_first_seen where project_id = ${projectId} and first_day <= ${asOf}::date`.execute(db);
  return result.rows;
}
