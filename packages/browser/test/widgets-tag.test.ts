import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { advance, events, HOST, received, useFakeService } from './support/service.ts';
import { $, serveWidget, shadow, useWidgetPage } from './support/widgets.ts';

useFakeService();
useWidgetPage();

const packageDir = join(import.meta.dirname, '..');
// dist/ is built by the globalSetup (test/support/build-dist.ts).
const dist = (file: string) => readFileSync(join(packageDir, 'dist', file), 'utf8');
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const snippet = /<script>\s*(!function[^\n]+)/.exec(readFileSync(join(packageDir, 'snippet.html'), 'utf8'))![1]!;
/** The widget loader, verbatim from the README. */
const loader = /<!-- uptake-widgets-loader -->\s*```html\s*<script>\s*(!function[^\n]+)/.exec(readme)![1]!;

type Handle = { shown: boolean; reason: string };
type Call = (...args: unknown[]) => unknown;
type Page = { uptake: { identify: Call; nps: Call; progress: Call }; uptakeWidgets?: unknown };
const page = () => window as unknown as Page;

/** Runs a built IIFE as `<script src>` would, with `script` as `document.currentScript`. */
const run = (code: string, script?: HTMLScriptElement): void => {
  Object.defineProperty(document, 'currentScript', { get: () => script ?? null, configurable: true });
  try {
    new Function(code)();
  } finally {
    Object.defineProperty(document, 'currentScript', { get: () => null, configurable: true });
  }
};

describe('widgets from the script tag', () => {
  it('uptake.nps() before the SDK has loaded: loads uptake-nps.min.js next to uptake.min.js, shows the prompt, events replayed', async () => {
    delete (window as Partial<Page>).uptake;
    delete (window as Partial<Page>).uptakeWidgets;
    serveWidget('nps', { show: true, surveyId: 'nps', question: 'Recommend us?', reason: 'eligible' });
    const tag = document.createElement('script');
    tag.src = 'https://cdn.test/sdk/0.1.0/uptake.min.js';
    tag.crossOrigin = 'anonymous';
    Object.assign(tag.dataset, { writeKey: 'wk_tag', host: HOST, flushAt: '1' });
    document.head.append(tag);

    run(snippet);
    run(loader);
    page().uptake.identify('ada', {}, { userHash: 'ab12' });
    const shown = page().uptake.nps({ userId: 'ada', userHash: 'ab12' }) as Promise<Handle>;

    // One file asked for, from the SDK's own place, with its crossorigin.
    const injected = Array.from(document.head.querySelectorAll('script')).filter((script) => script.src.includes('uptake-nps'));
    expect(injected.map((script) => [script.src, script.crossOrigin])).toEqual([['https://cdn.test/sdk/0.1.0/uptake-nps.min.js', 'anonymous']]);

    // The SDK loads first; uptake.nps survives the stub's replacement.
    run(dist('uptake.min.js'), tag);
    expect(Array.isArray(page().uptake)).toBe(false);
    expect(typeof page().uptake.nps).toBe('function');
    expect(typeof page().uptake.progress).toBe('function');

    // Then the widget file arrives.
    run(dist('uptake-nps.min.js'));
    injected[0]!.dispatchEvent(new Event('load'));
    await expect(shown).resolves.toMatchObject({ shown: true, reason: 'eligible' });
    expect($('h2').textContent).toBe('Recommend us?');
    await advance(100);
    expect(received.every((request) => request.body.writeKey == 'wk_tag')).toBe(true);
    expect(events().filter((event) => event.event == '$nps_shown')).toEqual([
      expect.objectContaining({ userId: 'ada', properties: { surveyId: 'nps' }, context: expect.objectContaining({ userHash: 'ab12' }) }),
    ]);
    $('.x').click();
    expect(shadow()).toBeNull();
  });

  it('uptake.progress() after the SDK has loaded; a widget file already on the page is not loaded again', async () => {
    serveWidget('progress', {
      userId: 'ada',
      model: { version: 1 },
      window: { from: '2026-10-25', to: '2026-11-23' },
      previousWindow: { from: '2026-09-25', to: '2026-10-24' },
      user: { items: [{ event: 'Report Created', label: 'Report Created', count: 4, previousCount: 1, change: 3 }], missing: [] },
      account: null,
    });
    // window.uptake is the SDK from the previous test; the loader snippet is added later.
    run(loader);
    run(dist('uptake-progress.min.js'));
    const before = document.querySelectorAll('script').length;
    await expect(page().uptake.progress({ userId: 'ada', userHash: 'ab12' }) as Promise<Handle>).resolves.toMatchObject({ shown: true });
    expect(document.querySelectorAll('script')).toHaveLength(before);
    expect($('li').textContent).toBe('4Report Created3 more than the 30 days before');
  });
});
