import type { Kysely } from 'kysely';
import type { Campaign } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { ANY_FEATURE_UNUSED } from '../domain/campaigns/eligibility.ts';
import { HttpError } from '../http/errors.ts';
import { listCustomSegments } from '../query/segments.queries.ts';
import { builtInSegmentUnder } from '../query/segments-members.queries.ts';
import { findScoreModel } from '../query/score-models.queries.ts';

/**
 * Refuses, with a 400 naming the field, a segment key a campaign names that the project does not
 * have: each audience segment must be a built-in (user or account segment; `feature-unused:<event>`
 * for a feature the active score model names), a custom segment, or `feature-unused:*`; a
 * segment-exit goal must name a user segment or `feature-unused:*`.
 */
export async function mustKnowSegments(db: Kysely<Database>, projectId: string, campaign: Pick<Campaign, 'audience' | 'goal'>): Promise<void> {
  const [model, custom] = await Promise.all([findScoreModel(db, projectId), listCustomSegments(db, projectId)]);
  const kindOf = (key: string): 'users' | 'accounts' | undefined => {
    if (key === ANY_FEATURE_UNUSED) return 'users';
    const builtIn = model ? builtInSegmentUnder(key, model) : undefined;
    if (builtIn) return builtIn.of;
    return custom.find((segment) => segment.key === key)?.of;
  };
  for (const [index, key] of campaign.audience.segments.entries()) {
    if (kindOf(key) === undefined) {
      throw new HttpError(400, 'unknown_segment', `audience.segments[${index}]: this project has no segment "${key}" (GET /v1/segments lists them; ${ANY_FEATURE_UNUSED} means any feature-unused segment)`, {
        path: `audience.segments[${index}]`,
      });
    }
  }
  if (campaign.goal.kind === 'segment-exit' && kindOf(campaign.goal.segment) !== 'users') {
    throw new HttpError(400, 'unknown_segment', `goal.segment: this project has no user segment "${campaign.goal.segment}" (a segment-exit goal names a user segment)`, { path: 'goal.segment' });
  }
}
