import type { Kysely } from 'kysely';
import type { Campaign, MessageAnswer, WidgetMessage } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { decideMessage } from '../domain/campaigns/decide-message.ts';
import type { CampaignUserFacts } from '../domain/campaigns/eligibility.ts';
import { fillTemplate } from '../domain/campaigns/template.ts';
import type { ContactLedgerSettings } from '../domain/widgets/contact-ledger.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { ledgerFacts, lockLedger, recordContact } from '../widgets/contact-ledger.queries.ts';
import { listCampaigns } from './campaigns.queries.ts';
import { campaignUser, lastAssignments } from './user-facts.queries.ts';

/** The campaign's message filled for the user; null when a placeholder has no value for them. */
export function filledMessage(campaign: Campaign, values: CampaignUserFacts['values']): WidgetMessage | null {
  const title = fillTemplate(campaign.message.title, values);
  const body = fillTemplate(campaign.message.body, values);
  if (title === undefined || body === undefined) return null;
  return { campaignId: campaign.id, kind: campaign.kind, format: campaign.message.format, title, body, cta: campaign.message.cta };
}

/**
 * The message a user gets now, if any (docs/campaigns.md, `decideMessage`), decided on the server
 * under the contact-pressure ledger the NPS prompt shares. Decided once without locks (most
 * answers are "no"), then again in one transaction under the ledger's advisory locks (user, then
 * account), where the assignment (exposed or holdout) and, when shown, the contact are recorded:
 * two devices asking at once get one message between them, and never a message and an NPS prompt.
 *
 * @example
 * await decideUserMessage(db, cache, projectId, { userId: 'u1', accountId: 'acme', now: new Date() }, settings)
 * // → { show: true, reason: 'eligible', message: { campaignId: 'cmp_…', title: "You're missing: alerts set", … } }
 */
export async function decideUserMessage(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  request: { userId: string; accountId: string | null; now: Date },
  settings: ContactLedgerSettings,
): Promise<MessageAnswer> {
  const campaigns = await listCampaigns(db, projectId, { enabledOnly: true });
  const user = await campaignUser(db, cache, projectId, request, campaigns);
  if (!user.known) return { show: false, reason: 'unknown_user', message: null };
  if (campaigns.length === 0) return { show: false, reason: 'no_campaign', message: null };
  const decide = (ledger: Awaited<ReturnType<typeof ledgerFacts>>, assigned?: ReadonlyMap<string, Date>) =>
    decideMessage({ projectId, userId: request.userId, campaigns, factsOf: (campaign) => user.factsOf(campaign, assigned), ledger, settings });

  const unlocked = decide(await ledgerFacts(db, projectId, request));
  if (unlocked.reason !== 'eligible' && unlocked.reason !== 'holdout') return { show: false, reason: unlocked.reason, message: null };
  const decision = await db.transaction().execute(async (trx) => {
    await lockLedger(trx, projectId, request);
    const [ledger, assigned] = await Promise.all([ledgerFacts(trx, projectId, request), lastAssignments(trx, projectId, request.userId)]);
    const locked = decide(ledger, assigned);
    if (locked.reason === 'eligible' || locked.reason === 'holdout') {
      await trx
        .insertInto('campaign_assignments')
        .values({ project_id: projectId, campaign_id: locked.campaign.id, user_id: request.userId, group: locked.group, assigned_at: request.now })
        .execute();
      if (locked.show) await recordContact(trx, projectId, request, 'message', locked.campaign.id);
    }
    return locked;
  });
  if (!decision.show) return { show: false, reason: decision.reason, message: null };
  return { show: true, reason: 'eligible', message: filledMessage(decision.campaign, user.factsOf(decision.campaign).values) };
}
