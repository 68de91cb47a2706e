import type { ColumnType, Generated } from 'kysely';

/** A project's widget settings as changed through `PUT /v1/widgets/settings` (defaults are not stored). */
export type WidgetSettingsTable = {
  project_id: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Generated<Date>;
};

/** 'nps': the NPS prompt (survey_id: the survey); 'message': a campaign message (survey_id: the campaign id). */
export const WIDGET_CONTACT_KINDS = ['nps', 'message'] as const;
export type WidgetContactKind = (typeof WIDGET_CONTACT_KINDS)[number];

/**
 * The contact-pressure ledger: every in-app prompt the service told a client to show, on any
 * device. `status` 'offered' = the widget route answered show: true (counted from that moment).
 */
export type WidgetContactsTable = {
  project_id: string;
  contact_id: Generated<string>;
  user_id: string;
  account_id: string | null;
  kind: WidgetContactKind;
  survey_id: string;
  status: 'offered';
  shown_at: Date;
};
