import type { ColumnType, Generated } from 'kysely';

export const WEBHOOK_EVENT_TYPES = ['segment.entered', 'segment.exited', 'nps.response'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type WebhookFormat = 'standard' | 'slack';

/** A project's webhook endpoints (docs/webhooks.md). `segments`/`nps_categories` null: every one. */
export type WebhookEndpointsTable = {
  project_id: string;
  endpoint_id: string;
  url: string;
  description: Generated<string>;
  format: Generated<WebhookFormat>;
  event_types: WebhookEventType[];
  segments: string[] | null;
  nps_categories: string[] | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

/** The outbox: one message to one endpoint, with its delivery state. */
export type WebhookDeliveriesTable = {
  project_id: string;
  endpoint_id: string;
  message_id: string;
  event_type: WebhookEventType | 'webhook.test';
  payload: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  status: Generated<'pending' | 'delivered' | 'failed' | 'cancelled'>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  claimed_until: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  delivered_at: Date | null;
};
