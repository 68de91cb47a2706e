import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_LIMITS, createUptakeClient, splitBatch, UptakeConfigError, type EventInput } from '../src/index.ts';
import { fakeFetch } from './support/fake-fetch.ts';

const host = 'https://uptake.example.com';
const writeKey = 'wk_public';
const track = (index: number, extra: Record<string, unknown> = {}): EventInput => ({ type: 'track', userId: `u${index}`, event: 'Report Created', ...extra });
type SentBody = { sentAt: string; batch: Array<Record<string, unknown>> };

describe('sendBatch', () => {
  it('sends with the write key as Basic auth, JSON, and a sentAt', async () => {
    const fake = fakeFetch();
    const client = createUptakeClient({ host, writeKey, fetch: fake.fetch });
    const answer = await client.sendBatch([track(1)], { sentAt: new Date('2026-01-31T12:00:00Z') });
    expect(answer).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(request!.url.href).toBe(`${host}/v1/batch`);
    expect(request!.headers['authorization']).toBe(`Basic ${btoa(`${writeKey}:`)}`);
    expect((request!.body as SentBody).sentAt).toBe('2026-01-31T12:00:00.000Z');
  });

  it('gives each event without a messageId a fresh UUID, and keeps the ones given', async () => {
    const fake = fakeFetch();
    const events = [track(1), track(2, { messageId: 'mine-1' }), track(3, { messageId: null })];
    await createUptakeClient({ host, writeKey, fetch: fake.fetch }).sendBatch(events);
    const sent = (fake.requests[0]!.body as SentBody).batch.map((event) => event['messageId'] as string);
    expect(sent[1]).toBe('mine-1');
    expect(sent[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(sent).size).toBe(3);
    expect(events[0]).not.toHaveProperty('messageId'); // the caller's objects are left alone
  });

  it('splits 1,201 events into requests of 500, 500 and 201, in order, and sums the answers', async () => {
    const fake = fakeFetch((request) => {
      const { batch } = request.body as SentBody;
      // The service rejects the event at its index 3 of every request and calls one a duplicate.
      return { body: { accepted: batch.length - 2, duplicates: 1, rejected: [{ index: 3, messageId: batch[3]!['messageId'], errors: [] }] } };
    });
    const events = Array.from({ length: 1201 }, (_, index) => track(index));
    const answer = await createUptakeClient({ host, writeKey, fetch: fake.fetch }).sendBatch(events);
    const batches = fake.requests.map((request) => (request.body as SentBody).batch);
    expect(batches.map((batch) => batch.length)).toEqual([500, 500, 201]);
    expect(batches.flat().map((event) => event['userId'])).toEqual(events.map((event) => event.userId));
    expect(answer.accepted).toBe(1201 - 6);
    expect(answer.duplicates).toBe(3);
    expect(answer.rejected.map((rejected) => rejected.index)).toEqual([3, 503, 1003]);
    expect(answer.rejected.map((rejected) => rejected.messageId)).toEqual(
      [3, 503, 1003].map((index) => batches.flat()[index]!['messageId']),
    );
  });

  it('keeps every request body within 500 KB', async () => {
    const fake = fakeFetch();
    // 30 events of about 30 KB each: 900 KB in all, so at least two requests.
    const events = Array.from({ length: 30 }, (_, index) => track(index, { properties: { note: 'é'.repeat(15_000) } }));
    await createUptakeClient({ host, writeKey, fetch: fake.fetch }).sendBatch(events);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    for (const request of fake.requests) expect(request.bodyBytes).toBeLessThanOrEqual(BATCH_LIMITS.maxBytes);
    expect(fake.requests.flatMap((request) => (request.body as SentBody).batch)).toHaveLength(30);
  });

  it('sends nothing for no events', async () => {
    const fake = fakeFetch();
    expect(await createUptakeClient({ host, writeKey, fetch: fake.fetch }).sendBatch([])).toEqual({ accepted: 0, duplicates: 0, rejected: [] });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses to send without a write key, before any request', async () => {
    const fake = fakeFetch();
    const client = createUptakeClient({ host, secretKey: 'sk_secret', fetch: fake.fetch });
    await expect(client.sendBatch([track(1)])).rejects.toThrow(UptakeConfigError);
    await expect(client.track({ userId: 'u1', event: 'x' })).rejects.toThrow(/needs the project's writeKey/);
    expect(fake.requests).toHaveLength(0);
  });

  it('track, identify, group and page send one event of their type', async () => {
    const fake = fakeFetch();
    const client = createUptakeClient({ host, writeKey, fetch: fake.fetch });
    await client.track({ userId: 'u1', event: 'Report Created', properties: { accountId: 'A' } });
    await client.identify({ userId: 'u1', traits: { email: 'ada@acme.test' } });
    await client.group({ userId: 'u1', groupId: 'A', traits: { seats: 4 } });
    await client.page({ anonymousId: 'anon-1', name: 'Home' }, { sentAt: '2026-01-31T00:00:00.000Z' });
    const sent = fake.requests.map((request) => (request.body as SentBody).batch);
    expect(sent.map((batch) => batch.length)).toEqual([1, 1, 1, 1]);
    expect(sent.map(([event]) => event)).toMatchObject([
      { type: 'track', userId: 'u1', event: 'Report Created', properties: { accountId: 'A' } },
      { type: 'identify', userId: 'u1', traits: { email: 'ada@acme.test' } },
      { type: 'group', userId: 'u1', groupId: 'A', traits: { seats: 4 } },
      { type: 'page', anonymousId: 'anon-1', name: 'Home' },
    ]);
    expect((fake.requests[3]!.body as SentBody).sentAt).toBe('2026-01-31T00:00:00.000Z');
  });
});

describe('splitBatch', () => {
  const envelope = (batch: unknown[]) => ({ sentAt: '2026-01-31T12:00:00.000Z', batch });
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

  it('cuts at exactly the byte limit, counting the whole body', () => {
    const events = ['a', 'b', 'c'].map((letter) => ({ text: letter.repeat(20) }));
    const two = bytes(envelope(events.slice(0, 2)));
    expect(splitBatch(events, envelope, { maxEvents: 10, maxBytes: two }).map((chunk) => chunk.events.length)).toEqual([2, 1]);
    expect(splitBatch(events, envelope, { maxEvents: 10, maxBytes: two - 1 }).map((chunk) => chunk.events.length)).toEqual([1, 1, 1]);
  });

  it('sends an event too big for any body on its own', () => {
    const events = [{ text: 'x' }, { text: 'y'.repeat(100) }, { text: 'z' }];
    expect(splitBatch(events, envelope, { maxEvents: 10, maxBytes: 80 }).map((chunk) => chunk.start)).toEqual([0, 1, 2]);
  });

  it('keeps the events in order, each body within the limits, and packs greedily', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40, unit: 'grapheme' }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 60, max: 300 }),
        (texts, maxEvents, maxBytes) => {
          const events = texts.map((text) => ({ text }));
          const chunks = splitBatch(events, envelope, { maxEvents, maxBytes });
          expect(chunks.flatMap((chunk) => chunk.events)).toEqual(events);
          chunks.forEach((chunk, index) => {
            expect(chunk.events.length).toBeGreaterThan(0);
            expect(chunk.start).toBe(chunks.slice(0, index).reduce((sum, previous) => sum + previous.events.length, 0));
            expect(chunk.events.length).toBeLessThanOrEqual(maxEvents);
            const size = bytes(envelope(chunk.events));
            if (chunk.events.length > 1) expect(size).toBeLessThanOrEqual(maxBytes);
            const next = chunks[index + 1];
            // Greedy: the next event did not fit (by count or by bytes).
            if (next) {
              const grown = [...chunk.events, next.events[0]];
              expect(grown.length > maxEvents || bytes(envelope(grown)) > maxBytes).toBe(true);
            }
          });
        },
      ),
    );
  });
});
