import type { CampaignAudience, CampaignPlaceholder, CampaignSchedule, PreviewReasonCode, TraitCondition } from '@uptake/protocol';
import { placeholdersOf } from '@uptake/protocol';
import { createHash } from 'node:crypto';

const DAY_MS = 86_400_000;

/**
 * Audience key meaning "any `feature-unused:<event>` segment" (docs/campaigns.md): the
 * missing-value campaign's audience, whatever features the project's score model names.
 */
export const ANY_FEATURE_UNUSED = 'feature-unused:*';

/** What a campaign's decision reads of it (a stored campaign has more). */
export type CampaignRule = {
  id: string;
  audience: CampaignAudience;
  message: { title: string; body: string };
  schedule: CampaignSchedule;
  holdoutShare: number;
  createdAt: string;
};

/** What the service knows about one user for one campaign, read from storage. */
export type CampaignUserFacts = {
  now: Date;
  /** Audience segment keys the user is in (only the keys the campaign names need be present). */
  segments: ReadonlySet<string>;
  traits: Readonly<Record<string, unknown>>;
  /** The user's last assignment to this campaign (shown or held out); undefined when never. */
  lastAssignedAt: Date | undefined;
  /** Placeholder values for this user; a placeholder without a value makes the campaign unfillable. */
  values: Partial<Record<CampaignPlaceholder, string>>;
};

export type CampaignStatus = Exclude<PreviewReasonCode, 'unknown_user'>;

/**
 * Where `now` is in a campaign's schedule: before `startsAt` (included from that instant), after
 * `endsAt` (excluded from that instant), or running. Null bounds are open.
 *
 * @example
 * scheduleState({ startsAt: '2026-12-06T00:00:00Z', endsAt: null, … }, new Date('2026-12-05T23:59:59Z')) // → 'not_started'
 */
export function scheduleState(schedule: Pick<CampaignSchedule, 'startsAt' | 'endsAt'>, now: Date): 'not_started' | 'ended' | 'running' {
  if (schedule.startsAt !== null && now.getTime() < Date.parse(schedule.startsAt)) return 'not_started';
  if (schedule.endsAt !== null && now.getTime() >= Date.parse(schedule.endsAt)) return 'ended';
  return 'running';
}

/**
 * Whether the frequency cap lets the campaign reach the user again: `once` never after an
 * assignment; `every N days` from N × 24 h after the last one (exactly N days later is allowed).
 */
export function frequencyAllows(frequency: CampaignSchedule['frequency'], lastAssignedAt: Date | undefined, now: Date): boolean {
  if (lastAssignedAt === undefined) return true;
  if (frequency.kind === 'once') return false;
  return now.getTime() - lastAssignedAt.getTime() >= frequency.days * DAY_MS;
}

const numberOf = (value: unknown): number | undefined => {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : undefined;
};

/**
 * Whether one trait condition holds: `eq`/`neq` compare as JSON values (a number and its decimal
 * string are equal; a missing trait is `neq` anything), `exists` means set and not null, `gt`/`lt`
 * compare numbers (a trait that is not a number fails both).
 */
export function traitConditionHolds(condition: TraitCondition, traits: Readonly<Record<string, unknown>>): boolean {
  const value = Object.hasOwn(traits, condition.trait) ? traits[condition.trait] : undefined;
  const present = value !== undefined && value !== null;
  switch (condition.op) {
    case 'exists':
      return present;
    case 'eq':
    case 'neq': {
      const wanted = condition.value;
      const equal =
        present &&
        (value === wanted || (typeof wanted === 'number' && numberOf(value) === wanted) || (typeof wanted === 'string' && typeof value === 'number' && numberOf(wanted) === value));
      return condition.op === 'eq' ? equal : !equal;
    }
    case 'gt':
    case 'lt': {
      const number = numberOf(value);
      const bound = condition.value as number;
      if (number === undefined) return false;
      return condition.op === 'gt' ? number > bound : number < bound;
    }
  }
}

/** Whether every placeholder of the title and body has a value for the user. */
export function canFill(message: CampaignRule['message'], values: CampaignUserFacts['values']): boolean {
  return [...placeholdersOf(message.title), ...placeholdersOf(message.body)].every((name) => values[name as CampaignPlaceholder] !== undefined);
}

/**
 * Whether the user qualifies for the campaign now, and the first rule that fails: schedule,
 * audience segments (any one of them), trait conditions (all), frequency cap, then placeholders
 * with a value. Ignores `enabled`, the contact ledger and the holdout (the preview's answer).
 */
export function campaignStatus(campaign: CampaignRule, facts: CampaignUserFacts): CampaignStatus {
  const state = scheduleState(campaign.schedule, facts.now);
  if (state !== 'running') return state;
  if (!campaign.audience.segments.some((key) => facts.segments.has(key))) return 'not_in_audience';
  if (!campaign.audience.traits.every((condition) => traitConditionHolds(condition, facts.traits))) return 'trait_mismatch';
  if (!frequencyAllows(campaign.schedule.frequency, facts.lastAssignedAt, facts.now)) return 'frequency_cap';
  if (!canFill(campaign.message, facts.values)) return 'missing_fact';
  return 'eligible';
}

/** Campaigns in the order they are tried: higher priority first, then older, then by id. */
export function byPriority<T extends Pick<CampaignRule, 'id' | 'schedule' | 'createdAt'>>(campaigns: readonly T[]): T[] {
  return [...campaigns].sort(
    (a, b) => b.schedule.priority - a.schedule.priority || Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * A stable point in [0, 1) for a project, campaign and user: the first 48 bits of
 * SHA-256(projectId, campaignId, userId), so the holdout answer is the same on every device,
 * request and instance, and the users of one campaign's holdout are unrelated to another's.
 * (Not the NPS sampling's FNV-1a: its last characters barely reach the high bits, and user ids
 * often differ only there.)
 */
export function holdoutPoint(projectId: string, campaignId: string, userId: string): number {
  const digest = createHash('sha256').update(`${projectId}\u0000${campaignId}\u0000${userId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Whether the stable hash puts the user in the campaign's holdout (the share of users below it). */
export function inHoldout(projectId: string, campaignId: string, userId: string, holdoutShare: number): boolean {
  return holdoutPoint(projectId, campaignId, userId) < holdoutShare;
}
