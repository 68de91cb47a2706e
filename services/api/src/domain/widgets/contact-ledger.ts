const DAY_MS = 86_400_000;

/**
 * The contact-pressure ledger's rule (docs/widgets.md, docs/campaigns.md): one in-app contact of
 * any kind (NPS prompt or campaign message) per user in `userContactIntervalDays`, at most
 * `accountDailyPromptLimit` per account per UTC day. The NPS prompt and the campaign messages both
 * decide with this one function, over the one ledger (`widget_contacts`).
 */
export type ContactLedgerSettings = { userContactIntervalDays: number; accountDailyPromptLimit: number };

export type ContactLedgerFacts = {
  now: Date;
  /** Last time any in-app contact was offered to the user (any kind, any device). */
  lastPromptShownAt: Date | undefined;
  /** Contacts offered to users of the account on `now`'s UTC day (0 without an account). */
  accountPromptsToday: number;
};

export type ContactLedgerBlock = 'user_contacted_recently' | 'account_daily_limit';

/**
 * Why the ledger refuses one more contact now, or undefined when it allows it.
 *
 * @example
 * contactLedgerBlock({ now, lastPromptShownAt: twoDaysAgo, accountPromptsToday: 0 }, { userContactIntervalDays: 7, accountDailyPromptLimit: 10 })
 * // → 'user_contacted_recently'
 */
export function contactLedgerBlock(facts: ContactLedgerFacts, settings: ContactLedgerSettings): ContactLedgerBlock | undefined {
  const last = facts.lastPromptShownAt;
  if (last !== undefined && facts.now.getTime() - last.getTime() < settings.userContactIntervalDays * DAY_MS) return 'user_contacted_recently';
  if (facts.accountPromptsToday >= settings.accountDailyPromptLimit) return 'account_daily_limit';
  return undefined;
}
