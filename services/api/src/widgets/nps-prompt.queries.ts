import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { addDays, today } from '../domain/days.ts';
import { ledgerFacts, lockLedger, recordContact } from './contact-ledger.queries.ts';
import { npsPromptDecision, type NpsPromptFacts, type NpsPromptReason, type NpsPromptSettings } from '../domain/widgets/nps-eligibility.ts';

const DAY_MS = 86_400_000;
const startOfDay = (day: string) => new Date(`${day}T00:00:00.000Z`);

export type NpsPromptRequest = { userId: string; accountId: string | null; surveyId: string; now: Date };

type StoredFacts = Omit<NpsPromptFacts, 'lastPromptShownAt' | 'accountPromptsToday'>;

/**
 * What storage says about the user, from the derived tables (never a scan of raw events):
 * first seen (their own events, or anonymous events an identify linked to them), the account's
 * onboarding, the last response (nps_responses, exact time) and the last dismissal
 * (`$nps_dismissed` in the per-day counts: a UTC day, read as its end so the cooldown is never
 * cut short).
 */
async function storedFacts(db: Kysely<Database>, projectId: string, request: NpsPromptRequest, settings: NpsPromptSettings): Promise<StoredFacts> {
  const { userId, accountId, now } = request;
  const [seen, account, response, dismissal, quota] = await Promise.all([
    sql<{ first_day: string | null }>`
      select least(
        (select first_day from user_first_seen where project_id = ${projectId} and user_id = ${userId}),
        (select min(a.day) from identity_links l
         join anonymous_day_events a on a.project_id = l.project_id and a.anonymous_id = l.anonymous_id
         where l.project_id = ${projectId} and l.user_id = ${userId})
      )::text as first_day`.execute(db),
    accountId === null
      ? undefined
      : sql<{ onboarded_at: Date | null; first_day: string | null }>`
          select (select onboarded_at from accounts where project_id = ${projectId} and account_id = ${accountId}) as onboarded_at,
                 (select first_day::text from account_first_seen where project_id = ${projectId} and account_id = ${accountId}) as first_day`.execute(db),
    sql<{ at: Date | null }>`
      select max(at) as at from (
        select max(timestamp) as at from nps_responses where project_id = ${projectId} and user_id = ${userId}
        union all
        select max(n.timestamp) from identity_links l
        join nps_responses n on n.project_id = l.project_id and n.anonymous_id = l.anonymous_id and n.user_id is null
        where l.project_id = ${projectId} and l.user_id = ${userId}
      ) r`.execute(db),
    sql<{ day: string | null }>`
      select max(day)::text as day from (
        select max(day) as day from user_day_events where project_id = ${projectId} and user_id = ${userId} and event = '$nps_dismissed'
        union all
        select max(a.day) from identity_links l
        join anonymous_day_events a on a.project_id = l.project_id and a.anonymous_id = l.anonymous_id and a.event = '$nps_dismissed'
        where l.project_id = ${projectId} and l.user_id = ${userId}
      ) d`.execute(db),
    settings.responseQuota === null
      ? undefined
      : sql<{ responses: number }>`
          select count(*)::int as responses from nps_responses
          where project_id = ${projectId} and timestamp > ${new Date(now.getTime() - settings.responseQuotaDays * DAY_MS)}`.execute(db),
  ]);
  const firstDay = seen.rows[0]?.first_day ?? null;
  const accountRow = account?.rows[0];
  const onboardedAt = accountRow?.onboarded_at ?? null;
  const accountFirstDay = accountRow?.first_day ?? null;
  const accountPostOnboarding =
    (onboardedAt !== null && onboardedAt.getTime() <= now.getTime()) || (accountFirstDay !== null && accountFirstDay <= addDays(today(now), -30));
  const dismissedDay = dismissal.rows[0]?.day ?? null;
  return {
    now,
    userId,
    surveyId: request.surveyId,
    userFirstSeenAt: firstDay === null ? undefined : startOfDay(firstDay),
    accountPostOnboarding,
    lastResponseAt: response.rows[0]?.at ?? undefined,
    lastDismissedAt: dismissedDay === null ? undefined : startOfDay(addDays(dismissedDay, 1)),
    projectResponsesInQuotaPeriod: quota?.rows[0]?.responses ?? 0,
  };
}

/**
 * Decides whether the user gets the NPS prompt now (docs/widgets.md, `npsPromptDecision`) and,
 * when so, records the offer in the contact-pressure ledger in the same transaction, under
 * advisory locks on the user and the account: two devices asking at once get one prompt between
 * them, and two users of an account cannot both take its last prompt of the day.
 *
 * @example
 * await decideNpsPrompt(db, projectId, { userId: 'u1', accountId: 'acme', surveyId: 'nps', now: new Date() }, settings)
 * // → { show: true, reason: 'eligible' }
 */
export async function decideNpsPrompt(
  db: Kysely<Database>,
  projectId: string,
  request: NpsPromptRequest,
  settings: NpsPromptSettings,
): Promise<{ show: boolean; reason: NpsPromptReason }> {
  const stored = await storedFacts(db, projectId, request, settings);
  // Most answers are "no": decide without a transaction first, then re-check under the locks.
  const unlocked = npsPromptDecision({ ...stored, ...(await ledgerFacts(db, projectId, request)) }, settings);
  if (!unlocked.show) return unlocked;
  return db.transaction().execute(async (trx) => {
    await lockLedger(trx, projectId, request);
    const decision = npsPromptDecision({ ...stored, ...(await ledgerFacts(trx, projectId, request)) }, settings);
    if (decision.show) await recordContact(trx, projectId, request, 'nps', request.surveyId);
    return decision;
  });
}
