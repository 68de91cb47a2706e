import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

// Identity verification on writes (docs/protocol.md, docs/widgets.md): an event's
// `context.userHash` is checked at ingestion and never stored; what is kept is whether it matched
// (events.user_verified). Widgets open an account only through verified memberships: group calls
// of a user carrying that user's valid hash. Rows stored before kept the hash in events.context
// and in ingestion warnings' payloads: stored group calls are verified from it here (the other
// events' flag stays false: nothing reads it), then every stored copy of it is removed.
//
// Self-contained on purpose (a migration must not change with the code that follows it): the
// check is the one of projects/keys.ts, under the one identity secret a project had until now.
const PAGE = 5000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events add column user_verified boolean not null default false`.execute(db);
  await sql`
    create table verified_memberships (
      project_id text not null,
      user_id text not null,
      account_id text not null,
      joined_at timestamptz not null,
      primary key (project_id, user_id, account_id)
    )`.execute(db);

  await verifyStoredGroupCalls(db);
  await sql`
    insert into verified_memberships (project_id, user_id, account_id, joined_at)
    select project_id, user_id, account_id, min(timestamp) from events
    where type = 'group' and user_verified and user_id is not null and account_id is not null
    group by project_id, user_id, account_id`.execute(db);

  await sql`update events set context = context - 'userHash' where context ? 'userHash'`.execute(db);
  await stripWarningPayloads(db);
}

async function verifyStoredGroupCalls(db: Kysely<unknown>): Promise<void> {
  let after = { projectId: '', messageId: '' };
  for (;;) {
    const { rows } = await sql<{ project_id: string; message_id: string; user_id: string; hash: string | null; identity_secret: string }>`
      select e.project_id, e.message_id, e.user_id, e.context->>'userHash' as hash, p.identity_secret
      from events e join projects p on p.project_id = e.project_id
      where e.type = 'group' and e.user_id is not null and e.context ? 'userHash'
        and (e.project_id, e.message_id) > (${after.projectId}, ${after.messageId})
      order by e.project_id, e.message_id limit ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    const verified = rows.filter((row) => row.hash !== null && matches(row.identity_secret, row.user_id, row.hash));
    if (verified.length > 0) {
      await sql`
        update events set user_verified = true
        from unnest(${verified.map((row) => row.project_id)}::text[], ${verified.map((row) => row.message_id)}::text[]) as v(p, m)
        where events.project_id = v.p and events.message_id = v.m`.execute(db);
    }
    const last = rows[rows.length - 1]!;
    after = { projectId: last.project_id, messageId: last.message_id };
  }
}

function matches(identitySecret: string, userId: string, hash: string): boolean {
  const expected = createHmac('sha256', identitySecret).update(userId).digest('hex');
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(hash.toLowerCase())) && expected.length === hash.length;
}

/** Payloads are the events as sent, as JSON text cut at 32 KB: parsed when whole, else edited as text. */
async function stripWarningPayloads(db: Kysely<unknown>): Promise<void> {
  let after = { projectId: '', warningId: '0' };
  for (;;) {
    const { rows } = await sql<{ project_id: string; warning_id: string; payload: string }>`
      select project_id, warning_id::text as warning_id, payload from ingestion_warnings
      where payload like '%userHash%' and (project_id, warning_id) > (${after.projectId}, ${after.warningId}::bigint)
      order by project_id, warning_id limit ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    const changed = rows.map((row) => ({ ...row, stripped: strippedPayload(row.payload) })).filter((row) => row.stripped !== row.payload);
    if (changed.length > 0) {
      await sql`
        update ingestion_warnings set payload = s.payload
        from unnest(${changed.map((row) => row.project_id)}::text[], ${changed.map((row) => row.warning_id)}::bigint[], ${changed.map((row) => row.stripped)}::text[]) as s(p, w, payload)
        where ingestion_warnings.project_id = s.p and ingestion_warnings.warning_id = s.w`.execute(db);
    }
    const last = rows[rows.length - 1]!;
    after = { projectId: last.project_id, warningId: last.warning_id };
  }
}

function strippedPayload(payload: string): string {
  try {
    const event: unknown = JSON.parse(payload);
    if (typeof event === 'object' && event !== null && !Array.isArray(event)) {
      const context = (event as Record<string, unknown>)['context'];
      if (typeof context === 'object' && context !== null && !Array.isArray(context) && 'userHash' in context) {
        const { userHash: _hash, ...rest } = context as Record<string, unknown>;
        return JSON.stringify({ ...event, context: rest });
      }
    }
    return payload;
  } catch {
    // Cut at 32 KB (not JSON any more): the value goes, quoted or cut short.
    return payload.replace(/"userHash"\s*:\s*"(?:[^"\\]|\\.)*(?:"|\\?$)/g, '"userHash":null');
  }
}
