import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { uuid } from '../src/uuid.ts';
import { advance, eventNames, events, HOST, received, settle, storedKeys, useFakeService } from './support/service.ts';

useFakeService();

/** A fresh copy of the package, as a new page load would have. */
const freshSdk = async () => {
  vi.resetModules();
  return import('../src/index.ts');
};

afterEach(async () => {
  window.dispatchEvent(new Event('pagehide'));
  await settle();
});

describe('named exports (the default instance)', () => {
  it('keeps calls made before init and replays them in order', async () => {
    const sdk = await freshSdk();
    sdk.identify('early-user');
    sdk.track('Clicked Before Init');
    await advance(10_000);
    expect(received).toHaveLength(0); // nowhere to send yet
    sdk.init({ writeKey: 'wk_default', host: HOST, flushIntervalMs: 1000 });
    sdk.init({ writeKey: 'wk_other', host: HOST }); // a second init is ignored
    sdk.group('acme');
    await sdk.flush();
    await settle();
    expect(eventNames()).toEqual(['$session_start', 'identify', 'Clicked Before Init', 'group']);
    expect(received.every((request) => request.body.writeKey == 'wk_default')).toBe(true);
    expect(events().find((event) => event.event == 'Clicked Before Init')).toMatchObject({ userId: 'early-user' });
  });

  it("persistence: 'memory' keeps nothing in localStorage", async () => {
    const sdk = await freshSdk();
    sdk.init({ writeKey: 'wk_memory', host: HOST, persistence: 'memory', flushIntervalMs: 1000 });
    sdk.track('A');
    expect(storedKeys()).toEqual([]);
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'A']);
  });
});

describe('uuid', () => {
  it('makes RFC 9562 version 7 ids that sort by time', () => {
    const ids = [1, 2, 3].map((step) => uuid(Date.parse('2026-11-23T10:00:00Z') + step * 1000));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].reverse().sort()).toEqual(ids);
    // The first 48 bits are the Unix time in ms.
    expect(parseInt(ids[0]!.replace('-', '').slice(0, 12), 16)).toBe(Date.parse('2026-11-23T10:00:01Z'));
    expect(new Set(Array.from({ length: 1000 }, () => uuid(0))).size).toBe(1000);
  });
});

describe('uuid over the whole 48-bit time range', () => {
  it('puts the whole milliseconds first, then version 7, the variant and 74 random bits', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2 ** 48 - 1, noNaN: true }), (ms) => {
        const id = uuid(ms);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(Math.floor(ms));
      }),
    );
  });
});
