import { batchEnvelopeSchema, validateEvent } from '@uptake/protocol';
import { HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUptake, type Options, type Uptake, type UptakeError } from '../src/index.ts';
import { advance, answerWith, settle, beacon, eventNames, events, HOST, received, setVisibility, storedKeys, useFakeService } from './support/service.ts';

useFakeService();

const open: Uptake[] = [];
const start = (options: Partial<Options> = {}): Uptake => {
  const sdk = createUptake({ writeKey: 'wk_test', host: HOST, ...options });
  open.push(sdk);
  return sdk;
};
afterEach(async () => {
  for (const sdk of open.splice(0)) sdk.close();
  setVisibility('visible');
  await settle(); // requests still in flight land now, not in the next test
});

const errorsOf = (sdk: Uptake): UptakeError[] => {
  const errors: UptakeError[] = [];
  sdk.onError((error) => errors.push(error));
  return errors;
};

describe('batching', () => {
  it('sends one text/plain batch when flushAt events are waiting, valid under protocol v1', async () => {
    const sdk = start({ flushAt: 5, flushIntervalMs: 60_000 });
    sdk.identify('u1', { email: 'ada@example.com' });
    sdk.group('acme', { seats: 10 });
    sdk.track('Report Created', { format: 'pdf' });
    await advance(10);
    expect(received).toHaveLength(0); // $session_start + 3 = 4 < 5
    sdk.page('Settings');
    await advance(10);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.contentType).toMatch(/^text\/plain/);
    expect(request!.beacon).toBe(false);
    expect(batchEnvelopeSchema.safeParse(request!.body).success).toBe(true);
    expect(request!.body.writeKey).toBe('wk_test');
    expect(eventNames()).toEqual(['$session_start', 'identify', 'group', 'Report Created', 'page']);
    for (const event of events()) expect(validateEvent(event)).toMatchObject({ ok: true });

    const [sessionStart, identify, group, track, page] = events();
    expect(identify).toMatchObject({ type: 'identify', userId: 'u1', traits: { email: 'ada@example.com' } });
    expect(group).toMatchObject({ type: 'group', groupId: 'acme', userId: 'u1', traits: { seats: 10 } });
    expect(track).toMatchObject({ userId: 'u1', properties: { format: 'pdf' }, context: { groupId: 'acme' } });
    expect(page).toMatchObject({ name: 'Settings', properties: { url: location.href, path: location.pathname, title: document.title } });
    const ids = new Set(events().map((event) => event.messageId));
    expect(ids.size).toBe(5);
    for (const event of events()) {
      expect(event.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(event.anonymousId).toBe(sessionStart!.anonymousId);
      expect(event.context.library).toEqual({ name: '@uptake/browser', version: '0.1.0' });
      expect(event.context.sessionId).toBe(sessionStart!.properties.sessionId);
      expect(event.context.page.url).toBe(location.href);
    }
    expect(events().map((event) => event.context.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(events().map((event) => event.timestamp)).toEqual([...Array(4).fill('2026-11-23T10:00:00.000Z'), '2026-11-23T10:00:00.010Z']);
    expect(storedKeys().filter((key) => key.startsWith('uptake.q.'))).toEqual([]); // cleared after the 200
  });

  it('sends what is waiting every flushIntervalMs', async () => {
    const sdk = start({ flushIntervalMs: 5000 });
    sdk.track('Opened');
    await advance(4900);
    expect(received).toHaveLength(0);
    await advance(100);
    expect(received).toHaveLength(1);
    expect(eventNames()).toEqual(['$session_start', 'Opened']);
    sdk.track('Closed');
    await advance(5000);
    expect(received).toHaveLength(2);
    expect(received[1]!.body.batch.map((event) => event.event)).toEqual(['Closed']);
  });

  it('splits by the 500-event and 500 KB limits', async () => {
    const sdk = start({ consent: 'pending', flushIntervalMs: 60_000 });
    for (let i = 0; i < 699; i++) sdk.track('Clicked', { i });
    sdk.consent(true);
    await advance(10);
    expect(received.map((request) => request.body.batch.length)).toEqual([500, 200]);

    received.length = 0;
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 30; i++) sdk.track('Exported', { big, i });
    await sdk.flush();
    await advance(10);
    expect(received.length).toBe(2);
    for (const request of received) expect(request.bytes).toBeLessThanOrEqual(500 * 1024);
    expect(events().map((event) => event.properties.i)).toEqual([...Array(30).keys()]);
  });
});

describe('leaving the page', () => {
  it('hands waiting events to sendBeacon on visibilitychange → hidden, once, and keeps them until a 200', async () => {
    const sdk = start({ flushIntervalMs: 60_000 });
    sdk.track('A');
    sdk.track('B');
    setVisibility('hidden');
    window.dispatchEvent(new Event('pagehide')); // fired right after: nothing new to beacon
    await advance(10);
    expect(beacon).toHaveBeenCalledTimes(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.beacon).toBe(true);
    expect(eventNames()).toEqual(['$session_start', 'A', 'B']);
    // A beacon reports nothing back: the events stay stored and are sent again with the next flush
    // (the service drops the copies by messageId).
    const queued = storedKeys().find((key) => key.startsWith('uptake.q.'))!;
    expect(localStorage.getItem(queued)!.split('\n')).toHaveLength(3);
    await sdk.flush();
    expect(received).toHaveLength(2);
    expect(received[1]!.beacon).toBe(false);
    expect(storedKeys().filter((key) => key.startsWith('uptake.q.'))).toEqual([]);
  });

  it('beacons on pagehide, at most 64 KB per call, and hands the queue to the next page load', async () => {
    const sdk = start({ flushIntervalMs: 60_000 });
    const big = 'y'.repeat(20_000);
    for (let i = 0; i < 5; i++) sdk.track('Saved', { big, i });
    window.dispatchEvent(new Event('pagehide'));
    await advance(10);
    expect(beacon.mock.calls.length).toBeGreaterThanOrEqual(2);
    for (const [, body] of beacon.mock.calls) expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(64 * 1024);
    expect(events().filter((event) => event.event == 'Saved').map((event) => event.properties.i).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(storedKeys().some((key) => key.startsWith('uptake.l.'))).toBe(false); // lease released
  });
});

describe('retries', () => {
  it('backs off exponentially with full jitter up to the cap while the service fails', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    answerWith(() => new HttpResponse(null, { status: 503 }));
    const sdk = start({ flushAt: 1, flushIntervalMs: 3_600_000 });
    sdk.track('A');
    await advance(0);
    for (let i = 0; i < 9; i++) await advance(40_000);
    const gaps = received.slice(1).map((request, i) => request.at - received[i]!.at);
    // 0.5 × min(60 s, 1 s × 2^attempt)
    expect(gaps.slice(0, 8)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(storedKeys().some((key) => key.startsWith('uptake.q.'))).toBe(true); // nothing lost
    answerWith(() => undefined);
    await advance(30_000);
    expect(storedKeys().some((key) => key.startsWith('uptake.q.'))).toBe(false);
    sdk.close();
  });

  it('honours Retry-After', async () => {
    let calls = 0;
    answerWith(() => (++calls == 1 ? new HttpResponse(null, { status: 429, headers: { 'Retry-After': '7' } }) : undefined));
    const sdk = start({ flushAt: 2, flushIntervalMs: 1000 });
    sdk.track('A');
    await advance(0);
    expect(received).toHaveLength(1);
    sdk.track('B'); // would hit flushAt, but the service asked to wait
    await advance(6990);
    expect(received).toHaveLength(1);
    await advance(10);
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBe(7000);
    expect(received[1]!.body.batch.map((event) => event.event)).toEqual(['$session_start', 'A', 'B']);
  });

  it('halves the batch on 413 until it fits', async () => {
    answerWith((request) => (request.body.batch.length > 4 ? new HttpResponse(null, { status: 413 }) : undefined));
    const sdk = start({ consent: 'pending', flushIntervalMs: 60_000 });
    for (let i = 0; i < 9; i++) sdk.track('E', { i });
    sdk.consent(true);
    await advance(10);
    expect(received.map((request) => request.body.batch.length)).toEqual([10, 5, 2, 2, 2, 2, 2]);
    const delivered = received.filter((request) => request.body.batch.length <= 4).flatMap((request) => request.body.batch);
    expect(delivered.filter((event) => event.event == 'E').map((event) => event.properties.i)).toEqual([...Array(9).keys()]);
  });

  it('drops a batch on other 4xx and reports it', async () => {
    answerWith(() => HttpResponse.json({ error: 'unauthorized', message: 'unknown write key' }, { status: 401 }));
    const sdk = start({ flushAt: 2 });
    const errors = errorsOf(sdk);
    sdk.track('A');
    await advance(60_000);
    expect(received).toHaveLength(1); // not retried
    expect(errors).toEqual([{ code: 'dropped', status: 401, count: 2 }]);
    expect(storedKeys().some((key) => key.startsWith('uptake.q.'))).toBe(false);
  });

  it('reports events the service rejected in a 200 and does not retry them', async () => {
    answerWith((request) =>
      HttpResponse.json({
        accepted: 1,
        duplicates: 0,
        rejected: [{ index: 1, messageId: request.body.batch[1]!.messageId, errors: [{ path: 'event', message: 'too long' }] }],
      }),
    );
    const sdk = start({ flushAt: 2 });
    const errors = errorsOf(sdk);
    sdk.track('A');
    await advance(60_000);
    expect(received).toHaveLength(1);
    expect(errors).toEqual([
      { code: 'rejected', status: 200, count: 1, rejected: [{ index: 1, messageId: received[0]!.body.batch[1]!.messageId, errors: [{ path: 'event', message: 'too long' }] }] },
    ]);
  });

  it('retries at once when the browser comes back online', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    let down = true;
    answerWith(() => (down ? HttpResponse.error() : undefined));
    const sdk = start({ flushAt: 1, flushIntervalMs: 3_600_000 });
    sdk.track('A');
    for (let i = 0; i < 6; i++) await advance(40_000); // now waiting ~30+ s between attempts
    const attempts = received.length;
    expect(attempts).toBeGreaterThan(3);
    down = false;
    await advance(100);
    expect(received).toHaveLength(attempts); // still backing off
    window.dispatchEvent(new Event('online'));
    await advance(10);
    expect(received).toHaveLength(attempts + 1);
    expect(storedKeys().some((key) => key.startsWith('uptake.q.'))).toBe(false);
  });
});

describe('persistence and tabs', () => {
  it('sends events left by an earlier page load on the next one', async () => {
    answerWith(() => HttpResponse.error());
    const first = start({ flushIntervalMs: 5000 });
    first.identify('u1');
    first.track('Before Reload');
    await advance(0);
    window.dispatchEvent(new Event('pagehide')); // the page goes away; its beacon is lost too
    first.close();
    await advance(10);
    const sent = received.length;

    answerWith(() => undefined);
    start({ flushIntervalMs: 5000 }); // the next page load, same localStorage
    await advance(10);
    const after = received.slice(sent).flatMap((request) => request.body.batch);
    expect(after.map((event) => event.event ?? event.type)).toEqual(['$session_start', 'identify', 'Before Reload']);
    expect(after.every((event) => event.userId == 'u1')).toBe(true);
    expect(storedKeys().filter((key) => key.startsWith('uptake.q.'))).toEqual([]);
  });

  it('never sends another live tab’s stored events; adopts them once its lease expires', async () => {
    answerWith(() => HttpResponse.error()); // service down: both tabs keep their events
    const tabA = start({ flushIntervalMs: 5000 });
    tabA.track('From A');
    const tabB = start({ flushIntervalMs: 5000 });
    tabB.track('From B');
    await advance(20_000);
    const names = (request: (typeof received)[number]) => new Set(request.body.batch.map((event) => event.event));
    expect(received.some((request) => names(request).has('From A'))).toBe(true);
    expect(received.some((request) => names(request).has('From B'))).toBe(true);
    // Each tab only ever sends its own stored queue.
    expect(received.some((request) => names(request).has('From A') && names(request).has('From B'))).toBe(false);
    expect(storedKeys().filter((key) => key.startsWith('uptake.q.'))).toHaveLength(2);

    tabA.close(); // tab A crashes: no pagehide; its lease (renewed every 5 s) runs out within 60 s
    answerWith(() => undefined);
    const afterCrash = received.length;
    const sentSince = () => received.slice(afterCrash).flatMap((request) => request.body.batch.map((event) => event.event));
    await advance(50_000);
    expect(sentSince()).toContain('From B');
    expect(sentSince()).not.toContain('From A');
    await advance(15_000);
    expect(sentSince().filter((name) => name == 'From A')).toHaveLength(1);
    expect(storedKeys().filter((key) => key.startsWith('uptake.q.') || key.startsWith('uptake.l.'))).toEqual([]);
  });

  it('bounds the stored queue and counts what it drops', async () => {
    const sdk = start({ consent: 'pending' });
    const errors = errorsOf(sdk);
    for (let i = 0; i < 1004; i++) sdk.track('Tick', { i });
    expect(errors.filter((error) => error.code == 'overflow')).toHaveLength(5);
    expect(errors.at(-1)).toEqual({ code: 'overflow', count: 1, dropped: 5 });
    sdk.consent(true);
    await advance(10);
    const ticks = events().filter((event) => event.event == 'Tick').map((event) => event.properties.i);
    expect(ticks).toHaveLength(1000);
    expect(ticks[0]).toBe(4);
    expect(ticks.at(-1)).toBe(1003);
  });
});

describe('consent', () => {
  it('stores and sends nothing while pending; consent(true) sends what was recorded', async () => {
    const sdk = start({ consent: 'pending', flushAt: 1 });
    sdk.identify('u1');
    sdk.track('A');
    await advance(60_000);
    expect(received).toHaveLength(0);
    expect(storedKeys()).toEqual([]);
    sdk.consent(true);
    await advance(10);
    expect(eventNames()).toEqual(['$session_start', 'identify', 'A']);
    expect(storedKeys()).toContain('uptake.id');
  });

  it('consent(false) clears everything stored but the choice and stops sending', async () => {
    answerWith(() => HttpResponse.error());
    const sdk = start({ flushAt: 1 });
    sdk.identify('u1');
    sdk.track('A');
    await advance(0);
    expect(storedKeys().length).toBeGreaterThan(0);
    sdk.consent(false);
    expect(storedKeys()).toEqual(['uptake.c']);
    answerWith(() => undefined);
    const before = received.length;
    sdk.track('B');
    await advance(120_000);
    expect(received.length).toBe(before);
    expect(storedKeys()).toEqual(['uptake.c']);
  });
});

describe('sessions and identity', () => {
  it('starts a new session after 30 minutes without activity', async () => {
    const sdk = start({ flushIntervalMs: 1000 });
    sdk.track('A');
    await advance(10 * 60_000);
    sdk.track('B'); // 10 min later: same session
    await advance(31 * 60_000);
    sdk.track('C');
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'A', 'B', '$session_end', '$session_start', 'C']);
    const [start1, a, b, end, start2, c] = events();
    const first = start1!.properties.sessionId;
    expect([a, b, end].map((event) => event!.context.sessionId)).toEqual([first, first, first]);
    expect(end!.properties).toEqual({ sessionId: first, durationMs: 10 * 60_000 });
    expect(end!.timestamp).toBe(b!.timestamp);
    expect(start2!.properties.sessionId).not.toBe(first);
    expect(c!.context.sessionId).toBe(start2!.properties.sessionId);
    expect(events().map((event) => event.context.seq)).toEqual([0, 1, 2, 3, 0, 1]);
    for (const event of events()) expect(validateEvent(event)).toMatchObject({ ok: true });
  });

  it('reset() forgets the user and account and starts over anonymously', async () => {
    const sdk = start({ flushIntervalMs: 1000 });
    sdk.identify('u1', {}, { userHash: 'abc' });
    sdk.group('acme');
    sdk.track('A');
    sdk.reset();
    sdk.track('B');
    await advance(1000);
    const a = events().find((event) => event.event == 'A')!;
    const b = events().find((event) => event.event == 'B')!;
    expect(a).toMatchObject({ userId: 'u1', context: { groupId: 'acme', userHash: 'abc' } });
    expect(b.userId).toBeUndefined();
    expect(b.context.groupId).toBeUndefined();
    expect(b.context.userHash).toBeUndefined();
    expect(b.anonymousId).not.toBe(a.anonymousId);
    expect(eventNames()).toEqual(['$session_start', 'identify', 'group', 'A', '$session_end', '$session_start', 'B']);
  });

  it('never throws into the app: bad input is reported', async () => {
    const sdk = start({ flushIntervalMs: 1000 });
    const errors = errorsOf(sdk);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => sdk.track('Bad', circular)).not.toThrow();
    expect(() => sdk.track('Huge', { text: 'z'.repeat(40_000) })).not.toThrow();
    sdk.track('Fine');
    await advance(1000);
    expect(errors.map((error) => error.code)).toEqual(['exception', 'too_large']);
    expect(eventNames()).toEqual(['$session_start', 'Fine']);
  });
});

describe("consent: 'denied'", () => {
  it('starts with nothing stored and records nothing until consent(true)', async () => {
    localStorage.setItem('uptake.id', JSON.stringify({ a: 'old-anonymous', u: 'old-user' }));
    const sdk = start({ consent: 'denied', flushAt: 1 });
    expect(storedKeys()).toEqual([]);
    sdk.track('Ignored');
    await advance(10_000);
    expect(received).toHaveLength(0);
    sdk.consent(true);
    sdk.track('Counted');
    await advance(10);
    expect(eventNames()).toEqual(['$session_start', 'Counted']);
    expect(events().every((event) => event.userId === undefined && event.anonymousId != 'old-anonymous')).toBe(true);
  });
});

describe('tabs share who the user is and the session', () => {
  it('an idle tab neither undoes another tab’s identify nor ends its session', async () => {
    const tabA = start({ flushIntervalMs: 5000 });
    const tabB = start({ flushIntervalMs: 5000 });
    tabA.track('A1');
    await advance(5000);
    tabB.identify('u-shared');
    // Tab B stays active for 40 minutes while tab A is idle (its timer keeps ticking).
    for (let minute = 0; minute < 40; minute += 10) {
      tabB.track('B');
      await advance(10 * 60_000);
    }
    tabA.track('A2');
    await advance(5000);
    const a2 = events().find((event) => event.event == 'A2')!;
    const lastB = events().filter((event) => event.event == 'B').at(-1)!;
    expect(a2.userId).toBe('u-shared');
    expect(a2.context.sessionId).toBe(lastB.context.sessionId);
    expect(eventNames().filter((name) => name.startsWith('$session'))).toEqual(['$session_start']);
    const seqs = events().map((event) => event.context.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
