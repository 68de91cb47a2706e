import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUptakeClient, UptakeApiError, type EventInput, type UptakeClient } from '@uptake/client';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// @uptake/client's export methods against the real service over real HTTP.
describe.each(testDatabaseKinds)('@uptake/client export on %s', (kind) => {
  let t: TestApp;
  let client: UptakeClient;
  const sent: EventInput[] = Array.from({ length: 700 }, (_, index) => ({
    type: 'track', messageId: `client-${String(index).padStart(4, '0')}`, userId: `u${index % 3}`, event: 'Report Created', timestamp: `2026-11-${String(1 + (index % 28)).padStart(2, '0')}T08:00:00.000Z`, properties: { index },
  }));

  beforeAll(async () => {
    t = await createTestApp(kind);
    const host = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = createUptakeClient({ host, secretKey: t.project.secretKey, writeKey: t.project.writeKey });
    expect(await client.sendBatch(sent)).toMatchObject({ accepted: sent.length, rejected: [] });
  });
  afterAll(async () => t?.close());

  it('exportEvents yields every event of the range as sent, across many pages', async () => {
    const events = [];
    for await (const event of client.exportEvents({ from: '2026-11-01', to: '2026-11-28' })) events.push(event);
    // The client sends a sentAt, so timestamps are skew-corrected by the milliseconds in flight: compared by day.
    const day = (timestamp: unknown) => String(timestamp).slice(0, 10);
    const got = events.map((event) => ({ type: event.type, messageId: event.messageId, userId: event.userId, event: event.event, day: day(event.timestamp), properties: event.properties }));
    expect(got.sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual(sent.map(({ timestamp, ...event }) => ({ ...event, day: day(timestamp) })));
  });

  it('exportUser yields the user’s records, and an unknown user is the API error', async () => {
    const kinds = new Map<string, number>();
    for await (const record of client.exportUser('u1')) kinds.set(record.kind, (kinds.get(record.kind) ?? 0) + 1);
    expect(kinds.get('event')).toBe(sent.filter((event) => event.userId === 'u1').length);
    expect(kinds.get('export')).toBe(1);
    const error = await (async () => {
      for await (const record of client.exportUser('nobody')) return record;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UptakeApiError);
    expect(error).toMatchObject({ status: 404, code: 'user_not_found' });
  });
});
