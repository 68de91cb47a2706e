import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { UserExportRecord } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { EXPORT_PAGE_ROWS, eventRows, exportedEvent } from './events-export.ts';
import { PERSONAL_DATA_TABLES, TABLES_WITHOUT_PERSONAL_DATA } from './personal-data.ts';

/**
 * Every table a user export reads, with the column(s) that name the person. The catalogue test
 * (test/privacy/export.test.ts) fails when the database has a table holding a user id,
 * anonymous id or traits that is neither here nor in TABLES_WITHOUT_USER_DATA.
 */
export const USER_EXPORT_TABLES = {
  users: 'user_id',
  user_first_seen: 'user_id',
  identities: 'user_id, anonymous_id',
  identity_links: 'user_id, anonymous_id',
  memberships: 'user_id',
  verified_memberships: 'user_id',
  anonymous_memberships: 'anonymous_id (linked)',
  events: 'user_id, anonymous_id (linked)',
  user_day_events: 'user_id',
  anonymous_day_events: 'anonymous_id (linked)',
  event_spans: 'subject_id',
  user_day_points: 'user_id',
  user_active_days: 'user_id',
  account_active_days: 'user_id',
  account_day_points: 'user_id',
  score_point_queue: 'subject_id (user and linked anonymousIds)',
  nps_responses: 'user_id, anonymous_id (linked)',
  widget_contacts: 'user_id',
  campaign_assignments: 'user_id',
  segment_memberships: 'member_id (user segments)',
  segment_transitions: 'member_id (user segments)',
  webhook_deliveries: "payload data.userId",
  ingestion_warnings: 'payload userId / anonymousId',
} as const;

/**
 * Tables that hold nothing of a user: the deletion plan's tables without personal data and those
 * it handles for accounts only (privacy/personal-data.ts, the one list of both).
 */
export const TABLES_WITHOUT_USER_DATA: readonly string[] = [
  ...Object.keys(TABLES_WITHOUT_PERSONAL_DATA),
  ...PERSONAL_DATA_TABLES.filter((entry) => entry.user === 'none').map((entry) => entry.table),
];

type Trx = Kysely<Database>;

/** Rows of a small per-person query, a page at a time (OFFSET inside the snapshot, so pages never shift). */
async function* paged<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): AsyncGenerator<O> {
  for (let offset = 0; ; offset += EXPORT_PAGE_ROWS) {
    const page: O[] = await query.limit(EXPORT_PAGE_ROWS).offset(offset).execute();
    yield* page;
    if (page.length < EXPORT_PAGE_ROWS) return;
  }
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * Everything stored about one person, as records with a `kind` (USER_EXPORT_KINDS): their traits,
 * identities, memberships, events (by userId and by the anonymousIds linked to them), the per-day
 * counts and spans derived from those, NPS answers, prompts shown, the user segments they are in
 * and their entries and exits, webhook messages naming them
 * and ingestion warnings holding their payloads. Run it inside `inSnapshot` so every table is read
 * as of one moment.
 */
export async function* userExportRecords(db: Trx, projectId: string, userId: string, now: Date = new Date()): AsyncGenerator<UserExportRecord> {
  const linked = db.selectFrom('identities').select('anonymous_id').where('project_id', '=', projectId).where('user_id', '=', userId);
  yield { kind: 'export', projectId, userId, exportedAt: now.toISOString() };

  const user = await db.selectFrom('users').selectAll().where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  if (user) yield { kind: 'user', userId, traits: user.traits, traitStamps: user.trait_stamps, traitsAt: iso(user.traits_at), updatedAt: iso(user.updated_at) };
  const firstSeen = await db.selectFrom('user_first_seen').select('first_day').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  if (firstSeen) yield { kind: 'first_seen', firstDay: firstSeen.first_day };

  for await (const row of paged(db.selectFrom('identities').select(['anonymous_id', 'linked_at']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy('anonymous_id')))
    yield { kind: 'identity', anonymousId: row.anonymous_id, linkedAt: iso(row.linked_at) };
  for await (const row of paged(db.selectFrom('identity_links').select(['anonymous_id', 'link_day']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy('anonymous_id')))
    yield { kind: 'identity_link', anonymousId: row.anonymous_id, linkDay: row.link_day };

  for await (const row of paged(db.selectFrom('memberships').select(['account_id', 'joined_at']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy('account_id')))
    yield { kind: 'membership', accountId: row.account_id, joinedAt: iso(row.joined_at) };
  for await (const row of paged(db.selectFrom('verified_memberships').select(['account_id', 'joined_at']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy('account_id')))
    yield { kind: 'verified_membership', accountId: row.account_id, joinedAt: iso(row.joined_at) };
  for await (const row of paged(db.selectFrom('anonymous_memberships').select(['anonymous_id', 'account_id', 'joined_at']).where('project_id', '=', projectId).where('anonymous_id', 'in', linked).orderBy(['anonymous_id', 'account_id'])))
    yield { kind: 'anonymous_membership', anonymousId: row.anonymous_id, accountId: row.account_id, joinedAt: iso(row.joined_at) };

  for await (const row of eventRows(db, { projectId, userId })) yield { kind: 'event', ...exportedEvent(row) };

  for await (const row of paged(db.selectFrom('user_day_events').select(['account_key', 'day', 'event', 'count']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['day', 'account_key', 'event'])))
    yield { kind: 'day_events', day: row.day, accountId: row.account_key === '' ? null : row.account_key, event: row.event, count: row.count };
  for await (const row of paged(db.selectFrom('anonymous_day_events').select(['anonymous_id', 'account_key', 'day', 'event', 'count']).where('project_id', '=', projectId).where('anonymous_id', 'in', linked).orderBy(['day', 'anonymous_id', 'account_key', 'event'])))
    yield { kind: 'anonymous_day_events', anonymousId: row.anonymous_id, day: row.day, accountId: row.account_key === '' ? null : row.account_key, event: row.event, count: row.count };
  for await (const row of paged(
    db
      .selectFrom('event_spans')
      .select(['anonymous', 'subject_id', 'account_key', 'event', 'first_day', 'last_day'])
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb.and([eb('anonymous', '=', false), eb('subject_id', '=', userId)]), eb.and([eb('anonymous', '=', true), eb('subject_id', 'in', linked)])]))
      .orderBy(['anonymous', 'subject_id', 'account_key', 'event']),
  ))
    yield { kind: 'event_span', ...(row.anonymous ? { anonymousId: row.subject_id } : {}), accountId: row.account_key === '' ? null : row.account_key, event: row.event, firstDay: row.first_day, lastDay: row.last_day };
  for await (const row of paged(db.selectFrom('user_day_points').select(['version', 'day', 'points']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['version', 'day'])))
    yield { kind: 'score_points', modelVersion: row.version, day: row.day, points: row.points };
  for await (const row of paged(db.selectFrom('user_active_days').select('day').where('project_id', '=', projectId).where('user_id', '=', userId).orderBy('day')))
    yield { kind: 'active_day', day: row.day };
  for await (const row of paged(db.selectFrom('account_active_days').select(['day', 'account_id']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['day', 'account_id'])))
    yield { kind: 'account_active_day', day: row.day, accountId: row.account_id };
  for await (const row of paged(db.selectFrom('account_day_points').select(['version', 'day', 'account_id', 'points']).where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['version', 'day', 'account_id'])))
    yield { kind: 'account_score_points', modelVersion: row.version, day: row.day, accountId: row.account_id, points: row.points };
  for await (const row of paged(
    db
      .selectFrom('score_point_queue')
      .select(['anonymous', 'subject_id', 'day'])
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb.and([eb('anonymous', '=', false), eb('subject_id', '=', userId)]), eb.and([eb('anonymous', '=', true), eb('subject_id', 'in', linked)])]))
      .orderBy(['anonymous', 'subject_id', 'day']),
  ))
    yield { kind: 'queued_score_day', ...(row.anonymous ? { anonymousId: row.subject_id } : {}), day: row.day };

  for await (const row of paged(
    db
      .selectFrom('nps_responses')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('anonymous_id', 'in', linked)]))
      .orderBy(['timestamp', 'message_id']),
  ))
    yield { kind: 'nps_response', messageId: row.message_id, anonymousId: row.anonymous_id, accountId: row.account_id, timestamp: iso(row.timestamp), score: row.score };
  for await (const row of paged(db.selectFrom('widget_contacts').selectAll().where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['shown_at', 'contact_id'])))
    yield { kind: 'widget_contact', widget: row.kind, surveyId: row.survey_id, accountId: row.account_id, status: row.status, shownAt: iso(row.shown_at) };
  for await (const row of paged(db.selectFrom('campaign_assignments').selectAll().where('project_id', '=', projectId).where('user_id', '=', userId).orderBy(['assigned_at', 'campaign_id', 'assignment_id'])))
    yield { kind: 'campaign_assignment', campaignId: row.campaign_id, group: row.group, assignedAt: iso(row.assigned_at) };

  for await (const row of paged(
    db
      .selectFrom('segment_memberships as m')
      .innerJoin('segment_watches as w', (join) => join.onRef('w.project_id', '=', 'm.project_id').onRef('w.segment_key', '=', 'm.segment_key'))
      .select(['m.segment_key', 'm.facts', 'm.model_version', sql<string>`m.since_day::text`.as('since_day')])
      .where('m.project_id', '=', projectId)
      .where('w.of', '=', 'users')
      .where('m.member_id', '=', userId)
      .orderBy('m.segment_key'),
  ))
    yield { kind: 'segment_membership', segment: row.segment_key, sinceDay: row.since_day, facts: row.facts, modelVersion: row.model_version };
  for await (const row of paged(
    db
      .selectFrom('segment_transitions')
      .select(['transition_id', 'segment_key', 'kind', 'facts', 'model_version', 'recorded_at', sql<string>`day::text`.as('day')])
      .where('project_id', '=', projectId)
      .where('of', '=', 'users')
      .where('member_id', '=', userId)
      .orderBy('transition_id'),
  ))
    yield { kind: 'segment_transition', transitionId: row.transition_id, segment: row.segment_key, transition: row.kind, day: row.day, facts: row.facts, modelVersion: row.model_version, recordedAt: iso(row.recorded_at) };

  for await (const row of paged(
    db
      .selectFrom('webhook_deliveries')
      .select(['endpoint_id', 'message_id', 'event_type', 'payload', 'created_at', 'status', 'delivered_at'])
      .where('project_id', '=', projectId)
      .where(sql<boolean>`payload -> 'data' ->> 'userId' = ${userId}`)
      .orderBy(['created_at', 'endpoint_id', 'message_id']),
  ))
    yield { kind: 'webhook_delivery', endpointId: row.endpoint_id, messageId: row.message_id, eventType: row.event_type, payload: row.payload, createdAt: iso(row.created_at), status: row.status, deliveredAt: iso(row.delivered_at) };

  yield* ingestionWarnings(db, projectId, userId);
}

/**
 * Ingestion warnings whose stored payload (the event as sent, cut at 32 KB) names the person: its
 * `userId`, or an `anonymousId` linked to them. The database narrows by text; each candidate is
 * then checked exactly, so a warning about someone else whose text merely contains the id is left out.
 */
async function* ingestionWarnings(db: Trx, projectId: string, userId: string): AsyncGenerator<UserExportRecord> {
  const candidates = db
    .selectFrom('ingestion_warnings as w')
    .select(['w.warning_id', 'w.received_at', 'w.kind', 'w.message_id', 'w.errors', 'w.payload'])
    .where('w.project_id', '=', projectId)
    .where((eb) =>
      eb.or([
        sql<boolean>`strpos(w.payload, ${JSON.stringify(userId)}) > 0`,
        eb.exists(eb.selectFrom('identities as i').select('i.anonymous_id').where('i.project_id', '=', projectId).where('i.user_id', '=', userId).where(sql<boolean>`strpos(w.payload, '"' || i.anonymous_id || '"') > 0`)),
      ]),
    )
    .orderBy('w.warning_id');
  for await (const row of paged(candidates)) {
    if (!(await namesPerson(db, projectId, userId, row.payload))) continue;
    yield { kind: 'ingestion_warning', warningId: String(row.warning_id), receivedAt: iso(row.received_at), warning: row.kind, messageId: row.message_id, errors: row.errors, payload: row.payload };
  }
}

async function namesPerson(db: Trx, projectId: string, userId: string, payload: string | null): Promise<boolean> {
  if (payload === null) return false;
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    // Cut at 32 KB: not JSON any more, so only its userId field, written as JSON writes it, counts.
    return new RegExp(`"userId"\\s*:\\s*${escapeRegex(JSON.stringify(userId))}`).test(payload);
  }
  if (!event || typeof event !== 'object') return false;
  const { userId: sentUser, anonymousId } = event as { userId?: unknown; anonymousId?: unknown };
  if (sentUser === userId) return true;
  if (typeof anonymousId !== 'string') return false;
  const link = await db.selectFrom('identities').select('user_id').where('project_id', '=', projectId).where('anonymous_id', '=', anonymousId).executeTakeFirst();
  return link?.user_id === userId;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
