import type { MessageReasonCode } from '@uptake/protocol';
import { contactLedgerBlock, type ContactLedgerFacts, type ContactLedgerSettings } from '../widgets/contact-ledger.ts';
import { byPriority, campaignStatus, inHoldout, type CampaignRule, type CampaignUserFacts } from './eligibility.ts';

export type MessageDecision<T extends CampaignRule> =
  | { show: true; reason: 'eligible'; campaign: T; group: 'exposed' }
  | { show: false; reason: 'holdout'; campaign: T; group: 'holdout' }
  | { show: false; reason: Exclude<MessageReasonCode, 'eligible' | 'holdout' | 'unknown_user'> };

/**
 * Which message, if any, a known user gets now (docs/campaigns.md, "How a message is chosen"):
 * the highest-priority enabled campaign the user qualifies for (`campaignStatus`), then the
 * contact-pressure ledger the NPS prompt shares (`contactLedgerBlock`), then the campaign's holdout.
 * A holdout answer shows nothing and records no contact, but the caller records the assignment, so
 * the holdout is drawn from the very users who would have been shown it.
 *
 * @example
 * decideMessage({ projectId, userId: 'u1', campaigns, factsOf, ledger, settings })
 * // → { show: true, reason: 'eligible', campaign, group: 'exposed' }
 */
export function decideMessage<T extends CampaignRule>(input: {
  projectId: string;
  userId: string;
  /** The enabled campaigns, in any order. */
  campaigns: readonly T[];
  factsOf: (campaign: T) => CampaignUserFacts;
  ledger: ContactLedgerFacts;
  settings: ContactLedgerSettings;
}): MessageDecision<T> {
  const campaign = byPriority(input.campaigns).find((candidate) => campaignStatus(candidate, input.factsOf(candidate)) === 'eligible');
  if (campaign === undefined) return { show: false, reason: 'no_campaign' };
  const blocked = contactLedgerBlock(input.ledger, input.settings);
  if (blocked) return { show: false, reason: blocked };
  if (inHoldout(input.projectId, campaign.id, input.userId, campaign.holdoutShare)) return { show: false, reason: 'holdout', campaign, group: 'holdout' };
  return { show: true, reason: 'eligible', campaign, group: 'exposed' };
}
