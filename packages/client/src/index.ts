export { createUptakeClient, type SendBatchOptions, type UptakeClient, type UptakeClientOptions } from './client.ts';
export { UptakeApiError, UptakeConfigError, parseRetryAfter } from './errors.ts';
export { BATCH_LIMITS, splitBatch } from './batch-split.ts';
export type { Fetch } from './http.ts';
export type * from './types.ts';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders, type WebhookPayload } from './verify-webhook.ts';
export type * from './health-types.ts';
