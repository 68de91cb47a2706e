import { sql, type Kysely } from 'kysely';

// Custom segments get a description; built-in segments read traits "as of" a day from the
// identify and group calls, which this partial index keeps apart from the track/page volume.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table segments add column description text not null default ''`.execute(db);
  await sql`create index events_trait_calls on events (project_id, timestamp) where type in ('identify', 'group')`.execute(db);
}
