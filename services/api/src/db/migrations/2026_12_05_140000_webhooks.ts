import { sql, type Kysely } from 'kysely';

// Webhooks (docs/webhooks.md). An endpoint's signing secret is kept as the service needs it to sign
// (Standard Webhooks: HMAC with the secret itself); the previous one signs too until its overlap
// ends. A delivery is one message to one endpoint, written in the same transaction as what caused
// it (the transactional outbox): a crash can neither lose nor invent one, and dispatchers on
// several instances claim due rows with FOR UPDATE SKIP LOCKED.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      project_id text not null,
      endpoint_id text not null,
      url text not null,
      description text not null default '',
      format text not null default 'standard' check (format in ('standard', 'slack')),
      event_types text[] not null,
      segments text[],
      nps_categories text[],
      secret text not null,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      enabled boolean not null default true,
      disabled_reason text,
      disabled_at timestamptz,
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (project_id, endpoint_id)
    )`.execute(db);
  await sql`
    create table webhook_deliveries (
      project_id text not null,
      endpoint_id text not null,
      message_id text not null,
      event_type text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'cancelled')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      claimed_until timestamptz,
      last_attempt_at timestamptz,
      last_status_code integer,
      last_error text,
      last_latency_ms integer,
      delivered_at timestamptz,
      primary key (project_id, endpoint_id, message_id)
    )`.execute(db);
  // What a dispatcher scans: due rows only.
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  // The delivery log of one endpoint, newest first.
  await sql`create index webhook_deliveries_log on webhook_deliveries (project_id, endpoint_id, created_at desc)`.execute(db);
}
