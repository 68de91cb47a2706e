import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { enqueueWebhookMessages, type WebhookMessage } from '../../src/webhooks/outbox.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDatabaseKinds)('webhook outbox on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const endpoint = (projectId: string, endpointId: string, fields: { event_types: ('segment.entered' | 'segment.exited' | 'nps.response')[]; segments?: string[]; nps_categories?: string[]; enabled?: boolean }) =>
    t.app.store.db
      .insertInto('webhook_endpoints')
      .values({ project_id: projectId, endpoint_id: endpointId, url: 'https://example.com/hook', secret: 'whsec_x', previous_secret: null, previous_secret_expires_at: null, disabled_reason: null, disabled_at: null, failing_since: null, segments: null, nps_categories: null, ...fields })
      .execute();
  const at = new Date('2026-12-01T10:00:00Z');
  const entered = (id: string, segment: string): WebhookMessage => ({ messageId: id, type: 'segment.entered', segment, data: { segment }, at });

  it('writes one delivery per subscribed, enabled endpoint of the project, once per message id', async () => {
    const { projectId } = t.project;
    const other = await t.createProject('Other');
    await endpoint(projectId, 'wh_all', { event_types: ['segment.entered', 'segment.exited'] });
    await endpoint(projectId, 'wh_low', { event_types: ['segment.entered'], segments: ['low-utilization'] });
    await endpoint(projectId, 'wh_nps', { event_types: ['nps.response'], nps_categories: ['detractor'] });
    await endpoint(projectId, 'wh_off', { event_types: ['segment.entered'], enabled: false });
    await endpoint(other.projectId, 'wh_other', { event_types: ['segment.entered'] });

    const messages: WebhookMessage[] = [
      entered('msg_1', 'low-utilization'),
      entered('msg_2', 'dormant'),
      { messageId: 'msg_3', type: 'nps.response', npsCategory: 'promoter', data: { score: 10 }, at },
      { messageId: 'msg_4', type: 'nps.response', npsCategory: 'detractor', data: { score: 2 }, at },
    ];
    expect(await t.app.store.db.transaction().execute((trx) => enqueueWebhookMessages(trx, projectId, messages))).toBe(4);
    // The same causes again (a retried transaction) add nothing.
    expect(await t.app.store.db.transaction().execute((trx) => enqueueWebhookMessages(trx, projectId, messages))).toBe(0);

    // Every project's deliveries, to see that the other project got none: a read across projects.
    const rows = await acrossProjects(t.app.store.db, (trx) => trx.selectFrom('webhook_deliveries').select(['project_id', 'endpoint_id', 'message_id', 'status', 'payload']).orderBy('endpoint_id').orderBy('message_id').execute());
    expect(rows.map((row) => `${row.endpoint_id}:${row.message_id}`)).toEqual(['wh_all:msg_1', 'wh_all:msg_2', 'wh_low:msg_1', 'wh_nps:msg_4']);
    expect(rows.every((row) => row.project_id === projectId && row.status === 'pending')).toBe(true);
    expect(rows[0]!.payload).toEqual({ type: 'segment.entered', timestamp: '2026-12-01T10:00:00.000Z', data: { segment: 'low-utilization' } });
  });

  it('writes nothing when the transaction that records the cause rolls back', async () => {
    const { projectId } = await t.createProject('Rollback');
    await endpoint(projectId, 'wh_rb', { event_types: ['segment.entered'] });
    await expect(
      t.app.store.db.transaction().execute(async (trx) => {
        await enqueueWebhookMessages(trx, projectId, [entered('msg_rb', 'dormant')]);
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    expect(await t.app.store.db.selectFrom('webhook_deliveries').select('message_id').where('project_id', '=', projectId).execute()).toEqual([]);
  });
});
