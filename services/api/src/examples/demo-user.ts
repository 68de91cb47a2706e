import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { DEMO_PROJECT_FILE, type DemoProjectFile } from '../demo/demo-project.ts';
import { userHash } from '../projects/keys.ts';

/** Who the example pages sign in as, with what the product's backend would render into the page. */
export type DemoUser = {
  writeKey: string;
  id: string;
  userHash: string;
  name: string;
  traits: Record<string, unknown>;
  accountId: string | null;
  accountName: string;
};

/** The demo project's keys from `<keysDir>/demo-project.json` (written by `uptake start`), or null. */
export function readDemoKeys(keysDir: string): DemoProjectFile | null {
  const path = join(keysDir, DEMO_PROJECT_FILE);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as DemoProjectFile;
}

/**
 * A user of the demo project for the example pages: `requested` when the project has that user,
 * else the most active user of the last 30 days who is due for the NPS prompt now (first seen 14+
 * days ago, no answer in 90 days, no dismissal in 30, no prompt in 7; the service still decides),
 * else the most active user. Null when the project has no users yet (the demo data is loading).
 * userHash is computed here, on the server, as the product's backend would.
 */
export async function pickDemoUser(db: Kysely<Database>, keys: DemoProjectFile, requested: string | undefined, now = new Date()): Promise<DemoUser | null> {
  const projectId = keys.projectId;
  const day = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const at = (days: number) => new Date(now.getTime() - days * 86_400_000);
  let userId: string | undefined;
  if (requested !== undefined) {
    const found = await db.selectFrom('users').select('user_id').where('project_id', '=', projectId).where('user_id', '=', requested).executeTakeFirst();
    userId = found?.user_id;
  }
  if (userId === undefined) {
    const rows = await sql<{ user_id: string }>`
      select e.user_id from user_day_events e
      join user_first_seen f on f.project_id = e.project_id and f.user_id = e.user_id
      where e.project_id = ${projectId} and e.day >= ${day(30)}::date and e.event not like '$%'
        and f.first_day <= ${day(14)}::date
        and not exists (select 1 from nps_responses r where r.project_id = e.project_id and r.user_id = e.user_id and r.timestamp > ${at(90)})
        and not exists (select 1 from user_day_events d where d.project_id = e.project_id and d.user_id = e.user_id and d.event = '$nps_dismissed' and d.day >= ${day(30)}::date)
        and not exists (select 1 from widget_contacts c where c.project_id = e.project_id and c.user_id = e.user_id and c.shown_at > ${at(7)})
      group by e.user_id order by sum(e.count) desc, e.user_id limit 1`.execute(db);
    userId = rows.rows[0]?.user_id;
  }
  if (userId === undefined) {
    const rows = await sql<{ user_id: string }>`
      select user_id from user_day_events where project_id = ${projectId} and event not like '$%'
      group by user_id order by max(day) desc, sum(count) desc, user_id limit 1`.execute(db);
    userId = rows.rows[0]?.user_id;
  }
  if (userId === undefined) return null;
  const [user, account] = await Promise.all([
    db.selectFrom('users').select('traits').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst(),
    db
      .selectFrom('memberships')
      .leftJoin('accounts', (join) => join.onRef('accounts.project_id', '=', 'memberships.project_id').onRef('accounts.account_id', '=', 'memberships.account_id'))
      .select(['memberships.account_id', 'accounts.traits'])
      .where('memberships.project_id', '=', projectId)
      .where('memberships.user_id', '=', userId)
      .orderBy('memberships.joined_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  const traits = user?.traits ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    writeKey: keys.writeKey,
    id: userId,
    userHash: userHash(keys.identitySecret, userId),
    name: text(traits['name']) ?? userId,
    traits: Object.fromEntries(['name', 'email', 'role'].filter((key) => traits[key] !== undefined).map((key) => [key, traits[key]])),
    accountId: account?.account_id ?? null,
    accountName: account ? (text(account.traits?.['name']) ?? account.account_id) : 'no account',
  };
}
