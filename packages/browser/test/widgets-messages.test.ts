import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUptake, type Uptake } from '../src/index.ts';
import { showMessage } from '../src/messages.ts';
import { advance, events, HOST, useFakeService } from './support/service.ts';
import { $, $$, focused, key, prefer, serveWidget, shadow, useWidgetPage, widgetRequests } from './support/widgets.ts';

useFakeService();
useWidgetPage();

type Message = { campaignId: string; kind: string; format: string; title: string; body: string; cta: { label: string; url: string } | null };
const missingValue: { show: boolean; reason: string; message: Message } = {
  show: true,
  reason: 'eligible',
  message: {
    campaignId: 'cmp_missing',
    kind: 'missing-value',
    format: 'card',
    title: 'You’re missing alerts, Ada',
    body: 'Alerts tell you when a metric moves.',
    cta: { label: 'Set an alert', url: 'https://app.example.com/alerts/new' },
  },
};
const withMessage = (message: Partial<Message>) => ({ ...missingValue, message: { ...missingValue.message, ...message } });
const base = { writeKey: 'wk_1', host: HOST, userId: 'ada', userHash: 'ab12' };

let sdk: Uptake;
let opener: HTMLButtonElement;
beforeEach(() => {
  sdk = createUptake({ writeKey: 'wk_1', host: HOST, flushAt: 1 });
  sdk.identify('ada', {}, { userHash: 'ab12' });
  opener = document.createElement('button');
  document.body.append(opener);
  opener.focus();
});
afterEach(async () => {
  await advance(10);
  sdk.close();
});

const messageEvents = async () => {
  await advance(10);
  return events()
    .filter((event) => String(event.event).startsWith('$message_'))
    .map((event) => [event.event, event.properties]);
};

describe('campaign message', () => {
  it('asks the route as the user and shows a labelled card region in a shadow root, announced, focus left on the page', async () => {
    serveWidget('messages', missingValue);
    const handle = await showMessage({ ...base, uptake: sdk, accountId: 'acme' });
    expect(handle).toMatchObject({ shown: true, reason: 'eligible' });
    expect(widgetRequests).toEqual([
      { route: 'messages', query: { userId: 'ada', userHash: 'ab12', writeKey: 'wk_1', accountId: 'acme' }, authorization: null },
    ]);

    const host = document.querySelector('[data-uptake-widget]')!;
    expect(host.children).toHaveLength(0);
    expect(shadow()!.querySelector('style')!.textContent).toContain(':host{all:initial}');
    const region = $('[role=region]');
    expect(region.dataset['format']).toBe('card');
    expect(region.classList.contains('banner')).toBe(false);
    expect(shadow()!.getElementById(region.getAttribute('aria-labelledby')!)!.textContent).toBe('You’re missing alerts, Ada');
    expect($('.body').textContent).toBe('Alerts tell you when a metric moves.');
    const link = $<HTMLAnchorElement>('a.go');
    expect([link.textContent, link.getAttribute('href')]).toEqual(['Set an alert', 'https://app.example.com/alerts/new']);
    expect($('.x').getAttribute('aria-label')).toBe('Dismiss');
    expect(document.activeElement).toBe(opener);
    await advance(100);
    expect($('[role=status]').textContent).toBe('You’re missing alerts, Ada. Alerts tell you when a metric moves.');
    expect(await messageEvents()).toEqual([['$message_shown', { campaignId: 'cmp_missing' }]]);
  });

  it('renders title and body as text: markup in them stays text', async () => {
    serveWidget('messages', withMessage({ title: '<img src=x onerror="window.hacked=1">Hi', body: '<b>bold</b>\n<script>window.hacked=1</script>' }));
    await showMessage({ ...base, uptake: sdk });
    expect($('h2').textContent).toBe('<img src=x onerror="window.hacked=1">Hi');
    expect($('.body').textContent).toBe('<b>bold</b>\n<script>window.hacked=1</script>');
    expect($$('img, b, script')).toEqual([]);
  });

  it('the call to action sends $message_clicked with its url, closes the message and lets the link navigate', async () => {
    serveWidget('messages', missingValue);
    const handle = await showMessage({ ...base, uptake: sdk });
    // The browser follows the link itself: nothing before the page stopped it (the page then
    // stops it, as jsdom cannot navigate).
    let prevented: boolean | undefined;
    const page = (event: Event) => {
      prevented = event.defaultPrevented;
      event.preventDefault();
    };
    document.addEventListener('click', page);
    $('a.go').dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
    document.removeEventListener('click', page);
    expect(prevented).toBe(false);
    expect(shadow()).toBeNull();
    await expect(handle.closed).resolves.toBe('clicked');
    expect(await messageEvents()).toEqual([
      ['$message_shown', { campaignId: 'cmp_missing' }],
      ['$message_clicked', { campaignId: 'cmp_missing', url: 'https://app.example.com/alerts/new' }],
    ]);
  });

  it('navigate(url) follows a relative call to action in the app instead', async () => {
    serveWidget('messages', withMessage({ cta: { label: 'Open alerts', url: '/alerts' } }));
    const navigate = vi.fn();
    await showMessage({ ...base, uptake: sdk, navigate });
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    $('a.go').dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(navigate).toHaveBeenCalledWith('/alerts');
    expect((await messageEvents())[1]).toEqual(['$message_clicked', { campaignId: 'cmp_missing', url: '/alerts' }]);
  });

  it('a call to action that is not http(s) gets no link; a message without one shows none', async () => {
    serveWidget('messages', withMessage({ cta: { label: 'Run', url: 'javascript:alert(1)' } }));
    await showMessage({ ...base, uptake: sdk });
    expect($$('a')).toEqual([]);
    document.body.replaceChildren();
    serveWidget('messages', withMessage({ cta: null }));
    await showMessage({ ...base, uptake: sdk });
    expect($$('a')).toEqual([]);
    expect($('h2').textContent).toBe('You’re missing alerts, Ada');
  });

  it('× and Escape dismiss: $message_dismissed, gone, keys never reach the page; focus: true moves focus in and back', async () => {
    serveWidget('messages', missingValue);
    const first = await showMessage({ ...base, uptake: sdk });
    $('.x').click();
    expect(shadow()).toBeNull();
    await expect(first.closed).resolves.toBe('dismissed');

    const pageKeys = vi.fn();
    document.addEventListener('keydown', pageKeys);
    const second = await showMessage({ ...base, uptake: sdk, focus: true, text: { dismiss: 'Not now' } });
    expect(focused()).toBe($('a.go'));
    expect($('.x').getAttribute('aria-label')).toBe('Not now');
    key(focused()!, 'Escape');
    document.removeEventListener('keydown', pageKeys);
    expect(pageKeys).not.toHaveBeenCalled();
    expect(shadow()).toBeNull();
    expect(document.activeElement).toBe(opener);
    await expect(second.closed).resolves.toBe('dismissed');

    const third = await showMessage({ ...base, uptake: sdk });
    third.close();
    await expect(third.closed).resolves.toBe('closed');
    expect((await messageEvents()).map(([name]) => name)).toEqual([
      '$message_shown',
      '$message_dismissed',
      '$message_shown',
      '$message_dismissed',
      '$message_shown',
    ]);
  });

  it('a banner: the banner format, dark theme from prefers-color-scheme, inline in a container', async () => {
    prefer('(prefers-color-scheme: dark)');
    serveWidget('messages', withMessage({ format: 'banner', kind: 'win-back', campaignId: 'cmp_back' }));
    const container = document.createElement('section');
    document.body.append(container);
    await showMessage({ ...base, uptake: sdk, container });
    const region = $('[role=region]');
    expect(region.dataset['format']).toBe('banner');
    expect([...region.classList].sort()).toEqual(['banner', 'card', 'dark', 'inline']);
    expect(container.querySelector('[data-uptake-widget]')).not.toBeNull();
    expect(await messageEvents()).toEqual([['$message_shown', { campaignId: 'cmp_back' }]]);
  });

  it('shows nothing and sends nothing when the service says no, or cannot be asked', async () => {
    serveWidget('messages', { show: false, reason: 'holdout', message: null });
    await expect(showMessage({ ...base, uptake: sdk })).resolves.toMatchObject({ shown: false, reason: 'holdout' });
    serveWidget('messages', 503);
    const failed = await showMessage({ ...base, uptake: sdk });
    expect(failed).toMatchObject({ shown: false, reason: 'error' });
    await expect(failed.closed).resolves.toBe('closed');
    expect(shadow()).toBeNull();
    expect(await messageEvents()).toEqual([]);
  });
});

describe('campaign message from the script tag', () => {
  const dist = (file: string) => readFileSync(join(import.meta.dirname, '..', 'dist', file), 'utf8');
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const loader = /<!-- uptake-widgets-loader -->\s*```html\s*<script>\s*(!function[^\n]+)/.exec(readme)![1]!;
  type Page = { uptake: { messages(options: object): Promise<{ shown: boolean }> } };

  it('uptake.messages() loads uptake-messages.min.js next to uptake.min.js and shows the message', async () => {
    serveWidget('messages', missingValue);
    const tag = document.createElement('script');
    tag.src = 'https://cdn.test/sdk/0.1.0/uptake.min.js';
    Object.assign(tag.dataset, { writeKey: 'wk_tag', host: HOST });
    document.head.append(tag);
    delete (window as { uptake?: unknown }).uptake;
    delete (window as { uptakeWidgets?: unknown }).uptakeWidgets;
    new Function(loader)();
    const shown = (window as unknown as Page).uptake.messages({ userId: 'ada', userHash: 'ab12' });
    const injected = Array.from(document.head.querySelectorAll('script')).filter((script) => script.src.includes('uptake-messages'));
    expect(injected.map((script) => script.src)).toEqual(['https://cdn.test/sdk/0.1.0/uptake-messages.min.js']);
    new Function(dist('uptake-messages.min.js'))();
    injected[0]!.dispatchEvent(new Event('load'));
    await expect(shown).resolves.toMatchObject({ shown: true });
    expect(widgetRequests[0]!.query).toEqual({ userId: 'ada', userHash: 'ab12', writeKey: 'wk_tag' });
    expect($('h2').textContent).toBe('You’re missing alerts, Ada');
    tag.remove();
  });
});
