import type { Kysely } from 'kysely';
import type { Campaign, CampaignPlaceholder, ScoreModel, SegmentThresholds } from '@uptake/protocol';
import { placeholdersOf } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { ANY_FEATURE_UNUSED, type CampaignUserFacts } from '../domain/campaigns/eligibility.ts';
import { addDays, today } from '../domain/days.ts';
import { FEATURE_UNUSED_PREFIX } from '../domain/segments/built-in.ts';
import type { SegmentFacts, UserFacts } from '../domain/segments/facts.ts';
import type { FigureCache } from '../query/figure-cache.ts';
import { customDefinitions } from '../query/member-segments.ts';
import { findScoreModel } from '../query/score-models.queries.ts';
import { segmentFacts } from '../query/segments-facts.queries.ts';
import { builtInSegmentUnder, featureUnusedFeatures, segmentMembers, type SegmentDefinition } from '../query/segments-members.queries.ts';
import { segmentThresholds } from '../query/segments.queries.ts';
import { traitsAsOf } from '../query/traits-as-of.queries.ts';
import { widgetProgress } from '../widgets/progress.queries.ts';

/** The placeholders read from the progress figures (one query for all of them). */
const PROGRESS_PLACEHOLDERS: ReadonlySet<string> = new Set(['featureLabel', 'featureValueText', 'monthCount', 'topFeatureLabel', 'topFeatureCount']);

/**
 * `factsOf(campaign, assigned?)`: the facts for one campaign; `assigned` replaces the last
 * assignments read up front (the message decision re-reads them under the ledger's locks).
 */
export type CampaignUser = { known: false } | { known: true; factsOf: (campaign: Campaign, assigned?: ReadonlyMap<string, Date>) => CampaignUserFacts };

type Lookup = { model: ScoreModel; thresholds: SegmentThresholds; custom: SegmentDefinition[]; facts: (asOf: string) => Promise<SegmentFacts> };

/** Whether the user (or, for an account segment, one of their accounts) is in the segment `key` by `facts`; an unknown key is no match. */
async function isMember(db: Kysely<Database>, projectId: string, lookup: Lookup, key: string, facts: SegmentFacts, user: UserFacts): Promise<boolean> {
  if (key === ANY_FEATURE_UNUSED) {
    for (const feature of featureUnusedFeatures(lookup.model)) {
      if (await isMember(db, projectId, lookup, `${FEATURE_UNUSED_PREFIX}${feature}`, facts, user)) return true;
    }
    return false;
  }
  const builtIn = builtInSegmentUnder(key, lookup.model);
  const definition: SegmentDefinition | undefined = builtIn
    ? { key, name: builtIn.name, of: builtIn.of, builtIn: true, rule: null }
    : lookup.custom.find((segment) => segment.key === key);
  if (!definition) return false;
  const found = await segmentMembers(db, projectId, definition, facts, lookup.thresholds);
  if (found.of === 'users') return found.members.some((member) => member.userId === userIdOf(user));
  const accounts = new Set(user.accounts);
  return found.members.some((member) => accounts.has(member.accountId));
}

const userIdOf = (user: UserFacts) => user.userId;

/** The first word of a full name, for `{{firstName}}` when only `name` is set. */
function firstNameOf(traits: Record<string, unknown>): string | undefined {
  const first = traits['firstName'];
  if (typeof first === 'string' && first.trim() !== '') return first.trim();
  const name = traits['name'];
  if (typeof name === 'string' && name.trim() !== '') return name.trim().split(/\s+/)[0];
  return undefined;
}

/**
 * What the campaigns' decisions read about one user now (docs/campaigns.md, "Eligibility"): whether
 * the project knows the user (in the segment facts as of today), the audience segments the user is
 * in — as of today or as of the end of yesterday, so a dormant user who comes back today is still
 * the dormant user the win-back campaign is for — the traits the conditions and placeholders name,
 * the last assignment to each campaign, and the placeholder values. Segment membership is the one
 * GET /v1/users/:userId/segments computes (the same facts, definitions and member functions).
 */
export async function campaignUser(
  db: Kysely<Database>,
  cache: FigureCache,
  projectId: string,
  request: { userId: string; accountId: string | null; now: Date },
  campaigns: readonly Campaign[],
): Promise<CampaignUser> {
  const { userId, now } = request;
  const asOf = today(now);
  const model = await findScoreModel(db, projectId);
  if (!model) return { known: false };
  const [thresholds, custom] = await Promise.all([segmentThresholds(db, projectId), customDefinitions(db, projectId)]);
  const lookup: Lookup = { model, thresholds, custom, facts: (day) => segmentFacts(db, cache, projectId, model, thresholds, day) };
  const factsToday = await lookup.facts(asOf);
  const user = factsToday.users.find((candidate) => candidate.userId === userId);
  if (!user) return { known: false };

  const keys = [...new Set(campaigns.flatMap((campaign) => campaign.audience.segments))];
  const segments = new Set<string>();
  let factsYesterday: SegmentFacts | undefined;
  for (const key of keys) {
    if (await isMember(db, projectId, lookup, key, factsToday, user)) {
      segments.add(key);
      continue;
    }
    factsYesterday ??= await lookup.facts(addDays(asOf, -1));
    const before = factsYesterday.users.find((candidate) => candidate.userId === userId);
    if (before && (await isMember(db, projectId, lookup, key, factsYesterday, before))) segments.add(key);
  }

  const traitNames = [...new Set(['firstName', 'name', ...campaigns.flatMap((campaign) => campaign.audience.traits.map((condition) => condition.trait))])];
  const traits = (await traitsAsOf(db, projectId, 'users', traitNames, asOf)).get(userId) ?? {};
  const assigned = await lastAssignments(db, projectId, userId);

  const used = new Set(campaigns.flatMap((campaign) => [...placeholdersOf(campaign.message.title), ...placeholdersOf(campaign.message.body)]));
  const progress = [...used].some((name) => PROGRESS_PLACEHOLDERS.has(name))
    ? await widgetProgress(db, projectId, { userId, accountId: null, now, maxMissing: Object.keys(model.features).length })
    : undefined;

  const base: Partial<Record<CampaignPlaceholder, string>> = {};
  const firstName = firstNameOf(traits);
  if (firstName !== undefined) base.firstName = firstName;
  const accountId = request.accountId ?? user.accounts[0];
  const accountName = accountId === undefined ? undefined : factsToday.accounts.find((account) => account.accountId === accountId)?.traits['name'];
  if (typeof accountName === 'string' && accountName !== '') base.accountName = accountName;
  if (user.nps !== null) base.npsScore = String(user.nps);
  if (progress) {
    const items = progress.user.items;
    base.monthCount = String(items.reduce((sum, item) => sum + item.count, 0));
    const top = items[0];
    if (top && top.count > 0) {
      base.topFeatureLabel = top.label;
      base.topFeatureCount = String(top.count);
    }
  }

  return {
    known: true,
    factsOf: (campaign, assignedNow = assigned) => {
      const values = { ...base };
      // The feature to suggest: among the feature-unused segments the audience names and the user
      // is in, the most valuable; for any other audience, the most valuable feature never used.
      const named = new Set(
        campaign.audience.segments.filter((key) => key.startsWith(FEATURE_UNUSED_PREFIX) && key !== ANY_FEATURE_UNUSED && segments.has(key)).map((key) => key.slice(FEATURE_UNUSED_PREFIX.length)),
      );
      const missing = progress?.user.missing.find((feature) => named.size === 0 || named.has(feature.event));
      if (missing) {
        values.featureLabel = missing.label;
        if (missing.valueText !== null && missing.valueText !== '') values.featureValueText = missing.valueText;
      }
      return { now, segments, traits, lastAssignedAt: assignedNow.get(campaign.id), values };
    },
  };
}

/** The user's last assignment per campaign. */
export async function lastAssignments(db: Kysely<Database>, projectId: string, userId: string): Promise<Map<string, Date>> {
  const rows = await db
    .selectFrom('campaign_assignments')
    .select(['campaign_id', (eb) => eb.fn.max('assigned_at').as('at')])
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .groupBy('campaign_id')
    .execute();
  return new Map(rows.map((row) => [row.campaign_id, new Date(row.at)]));
}
