/**
 * Consent (README "Privacy and consent"): the choice is remembered across page loads and tabs,
 * denial forgets everything stored and sends nothing, Global Privacy Control is honoured on request,
 * and the anonymous mode stores nothing until consent is given. Each `start` is a page load (or a
 * tab) of the same site: the instances share localStorage.
 */
import { validateEvent } from '@uptake/protocol';
import { HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { createUptake, type Options, type Uptake } from '../src/index.ts';
import { advance, answerWith, beacon, eventNames, events, HOST, received, setVisibility, settle, storedKeys, useFakeService } from './support/service.ts';

useFakeService();

const open: Uptake[] = [];
const start = (options: Partial<Options> = {}): Uptake => {
  const sdk = createUptake({ writeKey: 'wk_test', host: HOST, flushIntervalMs: 1000, ...options });
  open.push(sdk);
  return sdk;
};
/** The page load goes away (its listeners and timers stop, its queue is handed on). */
const leave = (sdk: Uptake): void => {
  window.dispatchEvent(new Event('pagehide'));
  sdk.close();
};
const setPrivacySignal = (value: boolean | undefined): void => {
  Object.defineProperty(navigator, 'globalPrivacyControl', { value, configurable: true });
};
afterEach(async () => {
  for (const sdk of open.splice(0)) sdk.close();
  setPrivacySignal(undefined);
  setVisibility('visible');
  await settle();
});

const stored = (): Record<string, string> => Object.fromEntries(storedKeys().map((key) => [key, localStorage.getItem(key)!]));

describe('the choice is remembered across page loads', () => {
  it("consent(true) on one page load: the next one starts granted despite consent: 'pending'", async () => {
    const first = start({ consent: 'pending' });
    first.identify('u1');
    first.consent(true);
    await advance(1000);
    expect(localStorage.getItem('uptake.c')).toBe('granted');
    leave(first);
    received.length = 0;

    const second = start({ consent: 'pending' });
    second.track('Next Page');
    await advance(1000);
    expect(eventNames()).toEqual(['Next Page']); // same session, same user, sent without a new consent call
    expect(events()[0]).toMatchObject({ userId: 'u1' });
  });

  it("consent('denied') on one page load: the next one (default 'granted') records, stores and sends nothing", async () => {
    const first = start();
    first.track('A');
    await advance(1000);
    first.consent('denied');
    leave(first);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
    received.length = 0;

    const second = start({ flushAt: 1 });
    second.identify('u2');
    second.track('B');
    await advance(60_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
    second.consent('granted');
    second.track('C');
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'C']);
    expect(localStorage.getItem('uptake.c')).toBe('granted');
  });

  it('a later choice replaces the stored one', async () => {
    const sdk = start({ consent: 'pending' });
    sdk.consent(false);
    expect(localStorage.getItem('uptake.c')).toBe('denied');
    sdk.consent(true);
    expect(localStorage.getItem('uptake.c')).toBe('granted');
    sdk.consent(false);
    expect(localStorage.getItem('uptake.c')).toBe('denied');
  });
});

describe("consent('denied')", () => {
  it('empties the queue in memory and in storage, forgets the stored ids, and sends nothing until granted', async () => {
    answerWith(() => HttpResponse.error()); // the service is unreachable: events wait, stored
    const sdk = start({ flushAt: 1 });
    sdk.identify('u1', {}, { userHash: 'abc' });
    sdk.group('acme');
    sdk.track('Waiting');
    await advance(0);
    const sentBefore = events();
    expect(storedKeys().some((key) => key.startsWith('uptake.q.'))).toBe(true);
    expect(JSON.parse(localStorage.getItem('uptake.id')!)).toMatchObject({ u: 'u1', g: 'acme', h: 'abc' });

    sdk.consent('denied');
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
    answerWith(() => undefined); // back online: still nothing may go out
    received.length = 0;
    sdk.track('After Denial');
    sdk.identify('u1');
    await sdk.flush();
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('pagehide'));
    await advance(5 * 60_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });

    sdk.consent(true);
    sdk.track('After Grant');
    await advance(1000);
    // The waiting events are gone for good; the user and account were forgotten too.
    expect(eventNames()).toEqual(['$session_start', 'After Grant']);
    const anonymousId = sentBefore[0]!.anonymousId;
    for (const event of events()) {
      expect(event.anonymousId).not.toBe(anonymousId);
      expect(event.context.groupId).toBeUndefined();
      expect(validateEvent(event)).toMatchObject({ ok: true });
    }
  });

  it('in one tab stops the other tabs of the site: they send and store nothing more', async () => {
    const tabA = start();
    const tabB = start();
    tabB.identify('u1');
    await advance(1000);
    received.length = 0;
    tabA.consent(false);
    tabB.track('In Tab B');
    tabB.identify('u1', { email: 'ada@example.com' });
    await advance(10_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
    // …and a grant in one tab applies in the others.
    tabA.consent(true);
    tabB.track('Granted In Tab A');
    await advance(1000);
    expect(eventNames()).toContain('Granted In Tab A');
  });
});

describe('consent denied in another tab, then the page is hidden', () => {
  it('beacons none of the events that were waiting', async () => {
    const tabA = start({ flushIntervalMs: 60_000 });
    const tabB = start({ flushIntervalMs: 60_000 });
    tabB.track('Waiting In B'); // fewer than flushAt: it waits for the interval or the page being hidden
    tabA.consent(false);
    setVisibility('hidden');
    window.dispatchEvent(new Event('pagehide'));
    await advance(10);
    expect(beacon).not.toHaveBeenCalled();
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
  });
});

describe('Global Privacy Control (option globalPrivacyControl)', () => {
  it('with the signal on: treated as denied, nothing sent or stored, ids stored earlier forgotten, and the denial is not stored', async () => {
    localStorage.setItem('uptake.id', JSON.stringify({ a: 'anon-before', u: 'user-before' }));
    setPrivacySignal(true);
    const sdk = start({ globalPrivacyControl: true, flushAt: 1 });
    sdk.track('A');
    await advance(10_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({}); // the signal is the browser's: it is read again on every page load
  });

  it('an explicit consent(true) overrides it, on this page load and the next ones', async () => {
    setPrivacySignal(true);
    const first = start({ globalPrivacyControl: true });
    first.consent(true);
    first.track('Granted Anyway');
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'Granted Anyway']);
    leave(first);
    received.length = 0;
    const second = start({ globalPrivacyControl: true });
    second.track('Next Page');
    await advance(1000);
    expect(eventNames()).toEqual(['Next Page']);
  });

  it("beats the consent option (even 'granted'), and is ignored without the option or without the signal", async () => {
    setPrivacySignal(true);
    const honoured = start({ globalPrivacyControl: true, consent: 'granted' });
    honoured.track('Not Sent');
    await advance(1000);
    expect(received).toHaveLength(0);
    honoured.close();

    const ignored = start(); // the option is off by default
    ignored.track('Sent Without The Option');
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'Sent Without The Option']);
    ignored.close();

    setPrivacySignal(false);
    received.length = 0;
    const noSignal = start({ globalPrivacyControl: true });
    noSignal.track('Sent Without The Signal');
    await advance(1000);
    expect(eventNames()).toEqual(['Sent Without The Signal']);
  });
});

describe("anonymous mode (consent: 'anonymous')", () => {
  it('sends events with an id kept in memory only and writes nothing to storage until consent(true)', async () => {
    localStorage.setItem('uptake.id', JSON.stringify({ a: 'anon-before', u: 'user-before' }));
    const before = stored();
    const first = start({ consent: 'anonymous' });
    first.track('A');
    first.page();
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'A', 'page']);
    const firstId = events()[0]!.anonymousId;
    expect(firstId).not.toBe('anon-before'); // a stored id is not read either
    expect(events().every((event) => event.anonymousId == firstId && event.userId === undefined)).toBe(true);
    expect(stored()).toEqual(before);
    leave(first);
    expect(stored()).toEqual(before);

    // (Without an identity stored earlier: on consent, a stored identity, shared by the tabs, would win.)
    localStorage.clear();
    received.length = 0;
    const second = start({ consent: 'anonymous' });
    second.track('B');
    await advance(1000);
    const secondId = events()[0]!.anonymousId;
    expect(secondId).not.toBe(firstId); // each page load is a new visitor
    expect(stored()).toEqual({});

    second.consent(true);
    second.track('C');
    await advance(1000);
    // From now on the id is stored, the same one the page load has been sending.
    expect(JSON.parse(localStorage.getItem('uptake.id')!).a).toBe(secondId);
    expect(events().find((event) => event.event == 'C')!.anonymousId).toBe(secondId);
    expect(localStorage.getItem('uptake.c')).toBe('granted');
  });

  it('consent(false) in anonymous mode stops sending', async () => {
    const sdk = start({ consent: 'anonymous', flushAt: 1 });
    sdk.track('A');
    await advance(10);
    sdk.consent(false);
    received.length = 0;
    sdk.track('B');
    await advance(10_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({ 'uptake.c': 'denied' });
  });
});

describe("consent: 'denied' (the option)", () => {
  it('is where a browser without a stored choice starts: nothing stored stays, and the option is not stored as a choice', async () => {
    localStorage.setItem('uptake.id', JSON.stringify({ a: 'anon-before' }));
    const sdk = start({ consent: 'denied', flushAt: 1 });
    sdk.track('A');
    await advance(10_000);
    expect(received).toHaveLength(0);
    expect(stored()).toEqual({});
  });

  it('loses to a stored grant', async () => {
    localStorage.setItem('uptake.c', 'granted');
    const sdk = start({ consent: 'denied' });
    sdk.track('A');
    await advance(1000);
    expect(eventNames()).toEqual(['$session_start', 'A']);
  });
});
