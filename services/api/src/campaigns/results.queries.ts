import { sql, type Kysely } from 'kysely';
import type { Campaign, CampaignResults } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { ANY_FEATURE_UNUSED } from '../domain/campaigns/eligibility.ts';
import { campaignResultFigures } from '../domain/campaigns/results.ts';
import { FEATURE_UNUSED_PREFIX } from '../domain/segments/built-in.ts';

type Row = { user_id: string; group: 'exposed' | 'holdout'; shown: boolean; clicked: boolean; dismissed: boolean; converted: boolean };

/**
 * A campaign's results (docs/campaigns.md, "Results"): each assigned user once, in the group of
 * their first assignment, with whether they sent `$message_shown` / `_clicked` / `_dismissed` for
 * this campaign and whether they reached the goal within `goal.withinDays` of that assignment —
 * the SQL form of domain/campaigns/results.ts `reachedGoalWithin` (a goal event) and
 * `reachedExitWithin` (a segment exit in segment history) — then the figures of
 * `campaignResultFigures`. Events are read by time from the first assignment on, through the
 * project's track-and-page time index.
 */
export async function campaignResults(db: Kysely<Database>, projectId: string, campaign: Campaign): Promise<CampaignResults> {
  const { goal } = campaign;
  const goalEvent = goal.kind === 'event' ? goal.event : null;
  const exitSegment = goal.kind === 'segment-exit' ? goal.segment : null;
  const exitPattern = exitSegment === ANY_FEATURE_UNUSED ? `${FEATURE_UNUSED_PREFIX}%` : null;
  const within = goal.withinDays;
  const result = await sql<Row>`
    with firsts as (
      select distinct on (user_id) user_id, "group", assigned_at
      from campaign_assignments
      where project_id = ${projectId} and campaign_id = ${campaign.id}
      order by user_id, assigned_at, assignment_id
    ),
    since as (select min(assigned_at) as at from firsts),
    seen as (
      select f.user_id,
             bool_or(e.event = '$message_shown' and e.properties ->> 'campaignId' = ${campaign.id}) as shown,
             bool_or(e.event = '$message_clicked' and e.properties ->> 'campaignId' = ${campaign.id}) as clicked,
             bool_or(e.event = '$message_dismissed' and e.properties ->> 'campaignId' = ${campaign.id}) as dismissed,
             bool_or(e.event = ${goalEvent} and e.timestamp >= f.assigned_at and e.timestamp <= f.assigned_at + make_interval(days => ${within}::int)) as converted
      from firsts f
      join events e on e.project_id = ${projectId} and e.type = 'track' and e.user_id = f.user_id
        and e.timestamp >= (select at from since)
        and e.event in ('$message_shown', '$message_clicked', '$message_dismissed', coalesce(${goalEvent}::text, '$message_shown'))
      group by f.user_id
    )
    select f.user_id, f."group",
           coalesce(s.shown, false) as shown, coalesce(s.clicked, false) as clicked, coalesce(s.dismissed, false) as dismissed,
           case when ${exitSegment}::text is null then coalesce(s.converted, false)
                else exists (
                  select 1 from segment_transitions t
                  where t.project_id = ${projectId} and t.of = 'users' and t.member_id = f.user_id and t.kind = 'exited'
                    and (t.segment_key = ${exitSegment}::text or (${exitPattern}::text is not null and t.segment_key like ${exitPattern}::text))
                    and t.day >= (f.assigned_at at time zone 'UTC')::date
                    and t.day <= (f.assigned_at at time zone 'UTC')::date + ${within}::int)
           end as converted
    from firsts f left join seen s on s.user_id = f.user_id`.execute(db);
  return { campaignId: campaign.id, goal, ...campaignResultFigures(result.rows) };
}
