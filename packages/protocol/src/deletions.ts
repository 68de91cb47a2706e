import { z } from 'zod';
import { idParamSchema } from './query.ts';

/** `?allowReturn=true`: the deleted id may send again (no suppression; docs/privacy.md). */
export const deletionQuerySchema = z.object({
  allowReturn: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .default(false)
    .describe('true: events naming the deleted id are accepted again afterwards (default false: refused with reason "deleted")'),
});

export const deletionParamsSchema = z.object({ deletionId: idParamSchema(100) });

/** A deletion's receipt: what was done, never whom it was done to. */
export const deletionReceiptSchema = z.object({
  deletionId: z.string(),
  subject: z.enum(['user', 'account']),
  status: z.enum(['running', 'completed']),
  allowReturn: z.boolean(),
  requestedAt: z.string(),
  completedAt: z.string().nullable(),
  rows: z.record(z.string(), z.number()).describe('rows re-keyed or deleted, per table'),
});

export type DeletionReceipt = z.output<typeof deletionReceiptSchema>;
