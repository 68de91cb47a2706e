import type { NpsPromptReasonCode } from '@uptake/protocol';
import { contactLedgerBlock } from './contact-ledger.ts';

const DAY_MS = 86_400_000;

/** Per-project NPS prompt settings (docs/widgets.md); every one has a default. */
export type NpsPromptSettings = {
  /** Share of eligible users asked, 0–1, decided per user and survey so it is stable across devices. */
  samplingRate: number;
  /** A user seen this long ago may be asked even before their account is onboarded. */
  minUserAgeDays: number;
  /** No new prompt this long after a response. */
  responseCooldownDays: number;
  /** No new prompt this long after a dismissal. */
  dismissCooldownDays: number;
  /** Contact pressure: at most one prompt of any kind per user in this many days. */
  userContactIntervalDays: number;
  /** Contact pressure: at most this many prompts per account per UTC day. */
  accountDailyPromptLimit: number;
  /** Stop asking once the project has this many responses in the last `responseQuotaDays` (null: no quota). */
  responseQuota: number | null;
  responseQuotaDays: number;
};

export const DEFAULT_NPS_PROMPT_SETTINGS: NpsPromptSettings = {
  samplingRate: 1,
  minUserAgeDays: 14,
  responseCooldownDays: 90,
  dismissCooldownDays: 30,
  userContactIntervalDays: 7,
  accountDailyPromptLimit: 10,
  responseQuota: null,
  responseQuotaDays: 30,
};

/** What the service knows about the user and their contact history, read from storage. */
export type NpsPromptFacts = {
  now: Date;
  userId: string;
  surveyId: string;
  /** First event of the user; undefined when the user was never seen. */
  userFirstSeenAt: Date | undefined;
  /** The user's account is post-onboarding (docs/api.md, Definitions); false when there is no account. */
  accountPostOnboarding: boolean;
  lastResponseAt: Date | undefined;
  lastDismissedAt: Date | undefined;
  /** Last time any in-app prompt was shown to the user (any device). */
  lastPromptShownAt: Date | undefined;
  /** Prompts shown to users of the account on `now`'s UTC day. */
  accountPromptsToday: number;
  /** Responses the project received in the last `responseQuotaDays`. */
  projectResponsesInQuotaPeriod: number;
};

/** The reasons are part of the wire contract (`GET /v1/widgets/nps` answers them). */
export type NpsPromptReason = NpsPromptReasonCode;

const within = (at: Date | undefined, now: Date, days: number) => at !== undefined && now.getTime() - at.getTime() < days * DAY_MS;

/**
 * Whether to show the NPS prompt, and why not. Rules are checked cheapest-to-explain first; the
 * first that fails is the reason.
 *
 * @example
 * npsPromptDecision(facts, DEFAULT_NPS_PROMPT_SETTINGS) // → { show: false, reason: 'answered_recently' }
 */
export function npsPromptDecision(facts: NpsPromptFacts, settings: NpsPromptSettings): { show: boolean; reason: NpsPromptReason } {
  const no = (reason: NpsPromptReason) => ({ show: false, reason });
  const { now } = facts;
  if (!facts.userFirstSeenAt) return no('unknown_user');
  const userOldEnough = now.getTime() - facts.userFirstSeenAt.getTime() >= settings.minUserAgeDays * DAY_MS;
  if (!facts.accountPostOnboarding && !userOldEnough) return no('too_new');
  if (within(facts.lastResponseAt, now, settings.responseCooldownDays)) return no('answered_recently');
  if (within(facts.lastDismissedAt, now, settings.dismissCooldownDays)) return no('dismissed_recently');
  const ledger = contactLedgerBlock(facts, settings);
  if (ledger) return no(ledger);
  if (settings.responseQuota !== null && facts.projectResponsesInQuotaPeriod >= settings.responseQuota) return no('response_quota_met');
  if (samplePoint(facts.userId, facts.surveyId) >= settings.samplingRate) return no('not_sampled');
  return { show: true, reason: 'eligible' };
}

/**
 * A stable point in [0, 1) for a user and survey (FNV-1a), so sampling gives the same answer on
 * every device and after cleared storage.
 */
export function samplePoint(userId: string, surveyId: string): number {
  let hash = 0x811c9dc5;
  const text = `${surveyId}\u0001${userId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}
