import type { ColumnType, Generated } from 'kysely';

/** Rejected events and accepted-with-a-caveat events, kept for inspection. */
export type IngestionWarningsTable = {
  project_id: string;
  warning_id: Generated<string>;
  received_at: Date;
  kind: 'rejected' | 'message_id_generated' | 'timestamp_far_future';
  message_id: string | null;
  event_index: number | null;
  errors: ColumnType<Array<{ path: string; message: string }>, string, string>;
  /** The event as sent (JSON text, cut at 32 KB). */
  payload: string | null;
};
