import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { WidgetContactKind } from '../db/tables/widgets.table.ts';
import { today } from '../domain/days.ts';
import type { ContactLedgerFacts } from '../domain/widgets/contact-ledger.ts';

const DAY_MS = 86_400_000;

export type LedgerSubject = { userId: string; accountId: string | null; now: Date };

/** The contact-pressure ledger's facts: the user's last contact (any kind, any device) and the account's contacts today. */
export async function ledgerFacts(db: Kysely<Database>, projectId: string, subject: LedgerSubject): Promise<ContactLedgerFacts> {
  const dayStart = new Date(`${today(subject.now)}T00:00:00.000Z`);
  const [user, account] = await Promise.all([
    db
      .selectFrom('widget_contacts')
      .select((eb) => eb.fn.max('shown_at').as('at'))
      .where('project_id', '=', projectId)
      .where('user_id', '=', subject.userId)
      .executeTakeFirst(),
    subject.accountId === null
      ? undefined
      : db
          .selectFrom('widget_contacts')
          .select((eb) => eb.fn.countAll<number>().as('prompts'))
          .where('project_id', '=', projectId)
          .where('account_id', '=', subject.accountId)
          .where('shown_at', '>=', dayStart)
          .where('shown_at', '<', new Date(dayStart.getTime() + DAY_MS))
          .executeTakeFirst(),
  ]);
  return { now: subject.now, lastPromptShownAt: user?.at ?? undefined, accountPromptsToday: Number(account?.prompts ?? 0) };
}

/**
 * Takes the ledger's advisory locks for the rest of the transaction `trx`: the user's, then the
 * account's. Every request takes them in this order, so none waits in a cycle; two devices asking
 * at once (for an NPS prompt or a message) are decided one after the other.
 */
export async function lockLedger(trx: Kysely<Database>, projectId: string, subject: LedgerSubject): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`widget_contacts:${projectId}:user:${subject.userId}`}))`.execute(trx);
  if (subject.accountId !== null) {
    await sql`select pg_advisory_xact_lock(hashtext(${`widget_contacts:${projectId}:account:${subject.accountId}`}))`.execute(trx);
  }
}

/** Records one contact offered (status 'offered': counted from the answer, whether or not the client reports it shown). */
export async function recordContact(trx: Kysely<Database>, projectId: string, subject: LedgerSubject, kind: WidgetContactKind, surveyId: string): Promise<void> {
  await trx
    .insertInto('widget_contacts')
    .values({ project_id: projectId, user_id: subject.userId, account_id: subject.accountId, kind, survey_id: surveyId, status: 'offered', shown_at: subject.now })
    .execute();
}
