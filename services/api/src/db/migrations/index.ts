import type { Migration } from 'kysely/migration';
import * as createCore from './2026_11_23_120000_create_core.ts';
import * as createQueryTables from './2026_11_24_090000_create_query_tables.ts';
import * as createIdentityLinksAndSeats from './2026_11_24_100000_create_identity_links_and_seats.ts';
import * as createWidgetTables from './2026_11_25_090000_create_widget_tables.ts';
import * as segmentDescriptionsAndTraitCalls from './2026_11_25_110000_segment_descriptions_and_trait_calls.ts';
import * as anonymousMemberships from './2026_11_26_100000_anonymous_memberships.ts';
import * as eventSpans from './2026_11_27_090000_event_spans.ts';
import * as traitsByEventTime from './2026_11_28_090000_traits_by_event_time.ts';
import * as traitStamps from './2026_12_05_100000_trait_stamps.ts';
import * as verifiedMemberships from './2026_12_05_110000_verified_memberships.ts';
import * as eventNames from './2026_12_05_120000_event_names.ts';
import * as keyRotation from './2026_12_05_130000_key_rotation.ts';
import * as webhooks from './2026_12_05_140000_webhooks.ts';
import * as segmentHistory from './2026_12_05_150000_segment_history.ts';
import * as deletions from './2026_12_05_170000_deletions.ts';
import * as retention from './2026_12_05_180000_retention.ts';
import * as scorePoints from './2026_12_06_090000_score_points.ts';
import * as campaigns from './2026_12_06_100000_campaigns.ts';
import * as healthModels from './2026_12_06_110000_health_models.ts';
import * as activeDays from './2026_12_07_030000_active_days.ts';
import * as accountActiveDays from './2026_12_07_040000_account_active_days.ts';
import * as accountDayTotals from './2026_12_07_060000_account_day_totals.ts';
import * as eventSpansByAccount from './2026_12_07_070000_event_spans_by_account.ts';
import * as userActiveDaysByDay from './2026_12_07_090000_user_active_days_by_day.ts';
import * as accountSeatsLatest from './2026_12_07_100000_account_seats_latest.ts';
import * as scorePointsFilledThrough from './2026_12_07_110000_score_points_filled_through.ts';

/** Forward-only, in order. Names are timestamps so they sort the way they run. */
export const migrations: Record<string, Migration> = {
  '2026_11_23_120000_create_core': createCore,
  '2026_11_24_090000_create_query_tables': createQueryTables,
  '2026_11_24_100000_create_identity_links_and_seats': createIdentityLinksAndSeats,
  '2026_11_25_090000_create_widget_tables': createWidgetTables,
  '2026_11_25_110000_segment_descriptions_and_trait_calls': segmentDescriptionsAndTraitCalls,
  '2026_11_26_100000_anonymous_memberships': anonymousMemberships,
  '2026_11_27_090000_event_spans': eventSpans,
  '2026_11_28_090000_traits_by_event_time': traitsByEventTime,
  '2026_12_05_100000_trait_stamps': traitStamps,
  '2026_12_05_110000_verified_memberships': verifiedMemberships,
  '2026_12_05_120000_event_names': eventNames,
  '2026_12_05_130000_key_rotation': keyRotation,
  '2026_12_05_140000_webhooks': webhooks,
  '2026_12_05_150000_segment_history': segmentHistory,
  '2026_12_05_170000_deletions': deletions,
  '2026_12_05_180000_retention': retention,
  '2026_12_06_090000_score_points': scorePoints,
  '2026_12_06_100000_campaigns': campaigns,
  '2026_12_06_110000_health_models': healthModels,
  '2026_12_07_030000_active_days': activeDays,
  '2026_12_07_040000_account_active_days': accountActiveDays,
  '2026_12_07_060000_account_day_totals': accountDayTotals,
  '2026_12_07_070000_event_spans_by_account': eventSpansByAccount,
  '2026_12_07_090000_user_active_days_by_day': userActiveDaysByDay,
  '2026_12_07_100000_account_seats_latest': accountSeatsLatest,
  '2026_12_07_110000_score_points_filled_through': scorePointsFilledThrough,
};
