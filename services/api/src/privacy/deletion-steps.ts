import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DeletionSubjectKind } from '../db/tables/deletions.table.ts';
import { EVERY_DAY } from '../derived/score-points.ts';

/**
 * What one deletion replaces: the subject's id and, for a user, the anonymousIds linked to them,
 * each with its pseudonym; `needles` are the ids as JSON strings, for payloads stored as text.
 */
export type DeletionTarget = {
  projectId: string;
  subject: DeletionSubjectKind;
  id: string;
  pseudonym: string;
  anonymous: { from: string[]; to: string[] };
  needles: string[];
};

/** One bounded batch of a step: the rows it handled, and whether the step is finished. */
export type StepOutcome = { rows: number; done: boolean; cursor?: string };

export type DeletionStep = {
  /** Unique per subject: the key of its progress and (with the table) of the receipt. */
  name: string;
  table: keyof Database & string;
  subject: DeletionSubjectKind;
  run(trx: Kysely<Database>, target: DeletionTarget, limit: number, cursor: string | undefined): Promise<StepOutcome>;
};

const count = async (trx: Kysely<Database>, statement: RawBuilder<unknown>) => Number((await statement.execute(trx)).numAffectedRows ?? 0);
const finished = (rows: number, limit: number): StepOutcome => ({ rows, done: rows < limit });

/**
 * Re-keys up to `limit` rows whose `column` is one of `from` to the matching `to`. The rows are
 * picked by ctid (a TID scan), so one statement touches at most `limit` rows whatever the table.
 * Every statement picking by ctid names the project in its own WHERE too: on Citus that routes
 * it, subquery included, to the project's one shard, where a ctid means something (Citus refuses
 * ctid in a modification it would plan across shards).
 */
function rekey(table: string, column: string, pairs: (target: DeletionTarget) => { from: string[]; to: string[] }, alsoSet?: RawBuilder<unknown>, where?: (target: DeletionTarget) => RawBuilder<unknown>): DeletionStep['run'] {
  return async (trx, target, limit) => {
    const { from, to } = pairs(target);
    if (from.length === 0) return { rows: 0, done: true };
    const t = sql.table(table);
    const c = sql.ref(column);
    const rows = await count(
      trx,
      sql`
        update ${t} set ${c} = m.to_id ${alsoSet ? sql`, ${alsoSet}` : sql``}
        from unnest(${from}::text[], ${to}::text[]) as m(from_id, to_id)
        where ${t}.project_id = ${target.projectId} and ${t}.ctid = any(array(
            select ctid from ${t} where project_id = ${target.projectId} and ${c} = any(${from}::text[]) ${where ? sql`and ${where(target)}` : sql``} limit ${limit}))
          and ${sql.ref(`${table}.${column}`)} = m.from_id`,
    );
    return finished(rows, limit);
  };
}

/** Deletes up to `limit` rows matching `where`. */
function remove(table: string, where: (target: DeletionTarget) => RawBuilder<unknown>): DeletionStep['run'] {
  return async (trx, target, limit) => {
    const t = sql.table(table);
    const rows = await count(trx, sql`delete from ${t} where project_id = ${target.projectId} and ctid = any(array(select ctid from ${t} where project_id = ${target.projectId} and ${where(target)} limit ${limit}))`);
    return finished(rows, limit);
  };
}

/** Empties `column` (to `emptied`) in up to `limit` rows matching `where`. */
function scrub(table: string, column: string, emptied: RawBuilder<unknown>, where: (target: DeletionTarget) => RawBuilder<unknown>): DeletionStep['run'] {
  return async (trx, target, limit) => {
    const t = sql.table(table);
    const rows = await count(trx, sql`update ${t} set ${sql.ref(column)} = ${emptied} where project_id = ${target.projectId} and ctid = any(array(select ctid from ${t} where project_id = ${target.projectId} and ${where(target)} limit ${limit}))`);
    return finished(rows, limit);
  };
}

const subjectPair = (target: DeletionTarget) => ({ from: [target.id], to: [target.pseudonym] });
const anonymousPairs = (target: DeletionTarget) => target.anonymous;
const payloadNames = (column: RawBuilder<unknown>) => (target: DeletionTarget) =>
  sql`(${sql.join(target.needles.map((needle) => sql`strpos(${column}, ${needle}) > 0`), sql` or `)})`;

/**
 * As `rekey` of the subject's id, for a table the score-points fold writes (derived/score-points.ts,
 * derived/active-days.ts; `others`: the rest of its primary key). A fold running between the steps
 * makes the pseudonym's rows from the source rows re-keyed so far; where it made the row an old
 * one is re-keyed to, the old row is stale and goes (re-keyed, it would break the primary key, and
 * the step would fail on every retry).
 */
function rekeyFolded(table: string, column: string, others: string[]): DeletionStep['run'] {
  const move = rekey(table, column, subjectPair);
  return async (trx, target, limit, cursor) => {
    const same = sql.join(others.map((other) => sql`${sql.ref(`n.${other}`)} = ${sql.ref(`o.${other}`)}`), sql` and `);
    const dropped = await count(
      trx,
      sql`
        delete from ${sql.table(table)} o where o.project_id = ${target.projectId} and ${sql.ref(`o.${column}`)} = ${target.id}
          and exists (select 1 from ${sql.table(table)} n where n.project_id = ${target.projectId} and ${sql.ref(`n.${column}`)} = ${target.pseudonym} and ${same})`,
    );
    const moved = await move(trx, target, limit, cursor);
    return { ...moved, rows: moved.rows + dropped };
  };
}

/**
 * The account's totals (account_day_totals: its members' points summed per day, and the features
 * they used) re-keyed as `rekeyFolded` does, a total the fold already made for the pseudonym
 * taking the old one's features; once all are moved, each total is summed again from the
 * re-keyed points (a fold's total counted only the points re-keyed before it).
 */
const moveAccountTotals = rekeyFolded('account_day_totals', 'account_id', ['version', 'day']);
const rekeyAccountTotals: DeletionStep['run'] = async (trx, target, limit, cursor) => {
  const { projectId, id, pseudonym } = target;
  await sql`
    update account_day_totals n set features = array(select distinct e.event from unnest(n.features || o.features) as e(event) order by e.event)
    from account_day_totals o
    where n.project_id = ${projectId} and o.project_id = ${projectId} and n.account_id = ${pseudonym} and o.account_id = ${id}
      and n.version = o.version and n.day = o.day`.execute(trx);
  const moved = await moveAccountTotals(trx, target, limit, cursor);
  if (moved.done) {
    await sql`
      update account_day_totals t set points = coalesce((
        select sum(p.points) from account_day_points p
        where p.project_id = ${projectId} and p.account_id = ${pseudonym} and p.version = t.version and p.day = t.day), 0)
      where t.project_id = ${projectId} and t.account_id = ${pseudonym}`.execute(trx);
  }
  return moved;
};

/**
 * Queues every day of the pseudonym for the score-points fold (derived/score-points.ts). A fold
 * running between the steps (after the day counts were re-keyed, before the kept days were) reads
 * no rows under the old id and drops its kept days, which the later re-keying then cannot find;
 * folding the pseudonym's every day afterwards makes them again from its re-keyed rows.
 */
const refoldPseudonym: DeletionStep['run'] = async (trx, target) => {
  const rows = await count(
    trx,
    sql`insert into score_point_queue (project_id, anonymous, subject_id, day) values (${target.projectId}, false, ${target.pseudonym}, ${EVERY_DAY}::date) on conflict do nothing`,
  );
  return { rows, done: true };
};

/**
 * The events of the project walked in primary-key order, `limit` keys per batch (an index-only
 * scan), updating the subject's rows among them: no index on user_id is needed (ingestion pays
 * for none) and each transaction touches at most `limit` rows. A last check finds rows stored
 * behind the walk while it ran (an `allowReturn` deletion accepts them) and walks again.
 */
function walkEvents(match: (target: DeletionTarget) => RawBuilder<unknown>, set: (target: DeletionTarget) => RawBuilder<unknown>): DeletionStep['run'] {
  return async (trx, target, limit, cursor) => {
    const after = cursor ?? '';
    const { rows } = await sql<{ upto: string | null }>`
      select max(message_id) as upto from (
        select message_id from events where project_id = ${target.projectId} and message_id > ${after} order by message_id limit ${limit}) chunk`.execute(trx);
    const upto = rows[0]?.upto ?? null;
    if (upto === null) {
      const { rows: left } = await sql<{ one: number }>`select 1 as one from events where project_id = ${target.projectId} and ${match(target)} limit 1`.execute(trx);
      return left.length === 0 ? { rows: 0, done: true } : { rows: 0, done: false, cursor: '' };
    }
    const changed = await count(
      trx,
      sql`update events set ${set(target)}
          where project_id = ${target.projectId} and message_id > ${after} and message_id <= ${upto} and ${match(target)}`,
    );
    return { rows: changed, done: false, cursor: upto };
  };
}

const userEvents = (target: DeletionTarget) => sql`(user_id = ${target.id} or anonymous_id = any(${target.anonymous.from}::text[]))`;

// The kept objects are made with jsonb_set (IMMUTABLE), not jsonb_build_object (STABLE): Citus
// refuses a function that is not IMMUTABLE inside CASE in an UPDATE (docs/scale-out.md).

/** The person's own events lose what describes them; events of others that carry a linked anonymousId keep theirs. */
const userEventChanges = (target: DeletionTarget) => {
  const own = sql`(user_id = ${target.id} or (user_id is null and anonymous_id = any(${target.anonymous.from}::text[])))`;
  return sql`
    user_id = case when user_id = ${target.id} then ${target.pseudonym} else user_id end,
    anonymous_id = case when anonymous_id = any(${target.anonymous.from}::text[])
      then (${target.anonymous.to}::text[])[array_position(${target.anonymous.from}::text[], anonymous_id)] else anonymous_id end,
    properties = case when not ${own} or type = 'group' then properties
      when event = '$nps_response' and properties ? 'score' then jsonb_set('{}', '{score}', properties->'score') else null end,
    context = case when ${own} then null else context end,
    extra = case when ${own} then null else extra end`;
};

const accountEventChanges = (target: DeletionTarget) => sql`
    account_id = ${target.pseudonym},
    properties = case when type = 'group' then jsonb_strip_nulls(jsonb_set(jsonb_set('{}', '{seats}', coalesce(properties->'seats', 'null')), '{onboardedAt}', coalesce(properties->'onboardedAt', 'null')))
      else properties - 'accountId' end,
    context = context - 'groupId'`;

const emptyTraits = sql`traits = '{}'::jsonb, trait_stamps = '{}'::jsonb`;
const emptyFacts = sql`facts = '{}'::jsonb`;
// The watches of the subject's project named as a value, not through the outer row: on Citus a
// correlated subquery is not routed to the project's one shard.
const segmentsOf = (of: 'users' | 'accounts') => (target: DeletionTarget) =>
  sql`segment_key in (select w.segment_key from segment_watches w where w.project_id = ${target.projectId} and w."of" = ${of})`;

/**
 * Segment history (docs/plays.md): the subject's memberships and transitions re-keyed with their
 * facts emptied (a custom segment records every fact, traits included); any other member's
 * facts that name the subject (an account's quiet champions) emptied too.
 */
const segmentHistorySteps = (subject: DeletionSubjectKind, of: 'users' | 'accounts'): DeletionStep[] => [
  { name: 'segment_memberships', table: 'segment_memberships', subject, run: rekey('segment_memberships', 'member_id', subjectPair, emptyFacts, segmentsOf(of)) },
  { name: 'segment_memberships.facts', table: 'segment_memberships', subject, run: scrub('segment_memberships', 'facts', sql`'{}'::jsonb`, payloadNames(sql`facts::text`)) },
  { name: 'segment_transitions', table: 'segment_transitions', subject, run: rekey('segment_transitions', 'member_id', subjectPair, emptyFacts, () => sql`"of" = ${of}`) },
  { name: 'segment_transitions.facts', table: 'segment_transitions', subject, run: scrub('segment_transitions', 'facts', sql`'{}'::jsonb`, payloadNames(sql`facts::text`)) },
];

/** In order: events first (the source of every derived row), then the derived tables, then logs. */
export const DELETION_STEPS: readonly DeletionStep[] = [
  { name: 'events', table: 'events', subject: 'user', run: walkEvents(userEvents, userEventChanges) },
  { name: 'users', table: 'users', subject: 'user', run: rekey('users', 'user_id', subjectPair, emptyTraits) },
  { name: 'identities.anonymous', table: 'identities', subject: 'user', run: rekey('identities', 'anonymous_id', anonymousPairs) },
  { name: 'identities.user', table: 'identities', subject: 'user', run: rekey('identities', 'user_id', subjectPair) },
  { name: 'identity_links.anonymous', table: 'identity_links', subject: 'user', run: rekey('identity_links', 'anonymous_id', anonymousPairs) },
  { name: 'identity_links.user', table: 'identity_links', subject: 'user', run: rekey('identity_links', 'user_id', subjectPair) },
  { name: 'memberships', table: 'memberships', subject: 'user', run: rekey('memberships', 'user_id', subjectPair) },
  { name: 'verified_memberships', table: 'verified_memberships', subject: 'user', run: rekey('verified_memberships', 'user_id', subjectPair) },
  { name: 'anonymous_memberships', table: 'anonymous_memberships', subject: 'user', run: rekey('anonymous_memberships', 'anonymous_id', anonymousPairs) },
  { name: 'user_day_events', table: 'user_day_events', subject: 'user', run: rekey('user_day_events', 'user_id', subjectPair) },
  { name: 'anonymous_day_events', table: 'anonymous_day_events', subject: 'user', run: rekey('anonymous_day_events', 'anonymous_id', anonymousPairs) },
  { name: 'event_spans.user', table: 'event_spans', subject: 'user', run: rekey('event_spans', 'subject_id', subjectPair, undefined, () => sql`not anonymous`) },
  { name: 'event_spans.anonymous', table: 'event_spans', subject: 'user', run: rekey('event_spans', 'subject_id', anonymousPairs, undefined, () => sql`anonymous`) },
  { name: 'user_first_seen', table: 'user_first_seen', subject: 'user', run: rekey('user_first_seen', 'user_id', subjectPair) },
  { name: 'score_point_queue.user', table: 'score_point_queue', subject: 'user', run: rekey('score_point_queue', 'subject_id', subjectPair, undefined, () => sql`not anonymous`) },
  { name: 'score_point_queue.anonymous', table: 'score_point_queue', subject: 'user', run: rekey('score_point_queue', 'subject_id', anonymousPairs, undefined, () => sql`anonymous`) },
  { name: 'user_day_points', table: 'user_day_points', subject: 'user', run: rekeyFolded('user_day_points', 'user_id', ['version', 'day']) },
  { name: 'user_active_days', table: 'user_active_days', subject: 'user', run: rekeyFolded('user_active_days', 'user_id', ['day']) },
  { name: 'account_active_days', table: 'account_active_days', subject: 'user', run: rekeyFolded('account_active_days', 'user_id', ['day', 'account_id']) },
  { name: 'account_day_points', table: 'account_day_points', subject: 'user', run: rekeyFolded('account_day_points', 'user_id', ['version', 'day', 'account_id']) },
  { name: 'score_point_queue.refold', table: 'score_point_queue', subject: 'user', run: refoldPseudonym },
  { name: 'nps_responses.user', table: 'nps_responses', subject: 'user', run: rekey('nps_responses', 'user_id', subjectPair) },
  { name: 'nps_responses.anonymous', table: 'nps_responses', subject: 'user', run: rekey('nps_responses', 'anonymous_id', anonymousPairs) },
  { name: 'widget_contacts', table: 'widget_contacts', subject: 'user', run: remove('widget_contacts', (target) => sql`user_id = ${target.id}`) },
  { name: 'campaign_assignments', table: 'campaign_assignments', subject: 'user', run: rekey('campaign_assignments', 'user_id', subjectPair) },
  { name: 'ingestion_warnings', table: 'ingestion_warnings', subject: 'user', run: remove('ingestion_warnings', payloadNames(sql`payload`)) },
  ...segmentHistorySteps('user', 'users'),
  { name: 'webhook_deliveries', table: 'webhook_deliveries', subject: 'user', run: remove('webhook_deliveries', payloadNames(sql`payload::text`)) },

  { name: 'events', table: 'events', subject: 'account', run: walkEvents((target) => sql`account_id = ${target.id}`, accountEventChanges) },
  { name: 'accounts', table: 'accounts', subject: 'account', run: rekey('accounts', 'account_id', subjectPair, emptyTraits) },
  { name: 'memberships', table: 'memberships', subject: 'account', run: rekey('memberships', 'account_id', subjectPair) },
  { name: 'verified_memberships', table: 'verified_memberships', subject: 'account', run: rekey('verified_memberships', 'account_id', subjectPair) },
  { name: 'anonymous_memberships', table: 'anonymous_memberships', subject: 'account', run: rekey('anonymous_memberships', 'account_id', subjectPair) },
  { name: 'user_day_events', table: 'user_day_events', subject: 'account', run: rekey('user_day_events', 'account_key', subjectPair) },
  { name: 'anonymous_day_events', table: 'anonymous_day_events', subject: 'account', run: rekey('anonymous_day_events', 'account_key', subjectPair) },
  { name: 'event_spans', table: 'event_spans', subject: 'account', run: rekey('event_spans', 'account_key', subjectPair) },
  { name: 'account_first_seen', table: 'account_first_seen', subject: 'account', run: rekey('account_first_seen', 'account_id', subjectPair) },
  { name: 'account_day_points', table: 'account_day_points', subject: 'account', run: rekeyFolded('account_day_points', 'account_id', ['version', 'day', 'user_id']) },
  { name: 'account_active_days', table: 'account_active_days', subject: 'account', run: rekeyFolded('account_active_days', 'account_id', ['day', 'user_id']) },
  { name: 'account_day_totals', table: 'account_day_totals', subject: 'account', run: rekeyAccountTotals },
  { name: 'account_seats', table: 'account_seats', subject: 'account', run: rekey('account_seats', 'account_id', subjectPair) },
  { name: 'nps_responses', table: 'nps_responses', subject: 'account', run: rekey('nps_responses', 'account_id', subjectPair) },
  { name: 'widget_contacts', table: 'widget_contacts', subject: 'account', run: rekey('widget_contacts', 'account_id', subjectPair) },
  { name: 'ingestion_warnings', table: 'ingestion_warnings', subject: 'account', run: remove('ingestion_warnings', payloadNames(sql`payload`)) },
  ...segmentHistorySteps('account', 'accounts'),
  { name: 'webhook_deliveries', table: 'webhook_deliveries', subject: 'account', run: remove('webhook_deliveries', payloadNames(sql`payload::text`)) },
];
