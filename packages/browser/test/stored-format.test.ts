import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createUptake, type Uptake } from '../src/index.ts';
import { uuid } from '../src/uuid.ts';
import { advance, eventNames, events, HOST, settle, useFakeService } from './support/service.ts';

useFakeService();

const SESSION = '019ab2c4-5e10-7c3a-9f12-3b4c5d6e7f80';
const IDENTITY = { a: 'anon-before', u: 'user-before', g: 'acme', h: 'hash-before' };

/**
 * What an earlier version of the SDK left in localStorage when its page went away (the formats of
 * src/stored-format.ts, written by hand here so that a change of format fails this test): who the
 * user is, the open session, and the page load's unsent queue with its lease, expired.
 */
const storeWhatAnOlderVersionLeft = (at: number): void => {
  const event = (name: string, seq: number): string =>
    JSON.stringify({
      type: 'track',
      event: name,
      properties: {},
      messageId: uuid(at - 60_000),
      timestamp: new Date(at - 60_000).toISOString(),
      anonymousId: IDENTITY.a,
      userId: IDENTITY.u,
      context: { groupId: IDENTITY.g, userHash: IDENTITY.h, sessionId: SESSION, seq, library: { name: '@uptake/browser', version: '0.1.0' } },
    });
  localStorage.setItem('uptake.id', JSON.stringify(IDENTITY));
  localStorage.setItem('uptake.s', JSON.stringify({ i: SESSION, n: 2, t: at - 120_000, l: at - 60_000 }));
  localStorage.setItem('uptake.q.tab-before', [event('Old A', 0), event('Old B', 1)].join('\n'));
  localStorage.setItem('uptake.l.tab-before', String(at - 1));
};

/** The next event continues the stored user and session, and the stored records keep their format. */
const expectContinued = (at: number): void => {
  expect(eventNames()).toEqual(['Old A', 'Old B', 'New']);
  expect(events().at(-1)).toMatchObject({
    anonymousId: IDENTITY.a,
    userId: IDENTITY.u,
    context: { groupId: IDENTITY.g, userHash: IDENTITY.h, sessionId: SESSION, seq: 2 },
  });
  expect(JSON.parse(localStorage.getItem('uptake.id')!)).toEqual(IDENTITY);
  expect(JSON.parse(localStorage.getItem('uptake.s')!)).toEqual({ i: SESSION, n: 3, t: at - 120_000, l: at });
  expect(Object.keys(localStorage).filter((key) => key.startsWith('uptake.q.'))).toEqual([]);
};

const open: Uptake[] = [];
afterEach(async () => {
  for (const sdk of open.splice(0)) sdk.close();
  await settle();
});

describe('data stored by an earlier version', () => {
  it('is read by this one: the old queue is sent, as the same user and session (ESM)', async () => {
    const at = Date.now();
    storeWhatAnOlderVersionLeft(at);
    const sdk = createUptake({ writeKey: 'wk_test', host: HOST, flushIntervalMs: 1000 });
    open.push(sdk);
    sdk.track('New');
    await advance(1000);
    expectContinued(at);
  });

  it('is read by the script tag we ship (dist/uptake.min.js)', async () => {
    const at = Date.now();
    storeWhatAnOlderVersionLeft(at);
    // dist/ is built by the globalSetup (test/support/build-dist.ts).
    const iife = readFileSync(join(import.meta.dirname, '../dist/uptake.min.js'), 'utf8');
    const script = document.createElement('script');
    script.dataset.writeKey = 'wk_test';
    script.dataset.host = HOST;
    script.dataset.flushIntervalMs = '1000';
    Object.defineProperty(document, 'currentScript', { get: () => script, configurable: true });
    try {
      delete (window as { uptake?: unknown }).uptake;
      new Function(iife)();
    } finally {
      Object.defineProperty(document, 'currentScript', { get: () => null, configurable: true });
    }
    (window as unknown as { uptake: Uptake }).uptake.track('New');
    await advance(1000);
    expectContinued(at);
    window.dispatchEvent(new Event('pagehide'));
  });
});
