import { beforeEach, describe, expect, it, vi } from 'vitest';
import { showProgress } from '../src/progress.ts';
import { advance, HOST, received, useFakeService } from './support/service.ts';
import { $, $$, focused, key, prefer, serveWidget, shadow, useWidgetPage, widgetRequests } from './support/widgets.ts';

useFakeService();
useWidgetPage();

const item = (label: string, count: number, previousCount: number) => ({ event: label, label, count, previousCount, change: count - previousCount });
const progress = {
  userId: 'ada',
  model: { version: 2 },
  window: { from: '2026-10-25', to: '2026-11-23' },
  previousWindow: { from: '2026-09-25', to: '2026-10-24' },
  user: {
    items: [item('reports created', 42, 30), item('dashboards shared', 5, 9), item('filters saved', 3, 3), item('exports', 1, 0), item('comments', 0, 4)],
    missing: [{ event: 'Alert Set', label: 'alerts set', weight: 8, valueText: 'Alerts tell you when a metric moves' }],
  },
  account: { accountId: 'acme', items: [item('reports created', 120, 100)] },
};
const base = { writeKey: 'wk_1', host: HOST, userId: 'ada', userHash: 'ab12' };

let opener: HTMLButtonElement;
beforeEach(() => {
  opener = document.createElement('button');
  document.body.append(opener);
  opener.focus();
});

const lines = () => $$('li').map((li) => li.textContent);

describe('progress card', () => {
  it("shows the user's counts and changes, the team's totals and a suggestion, as a labelled region", async () => {
    serveWidget('progress', progress);
    const card = await showProgress({ ...base, accountId: 'acme' });
    expect(card).toMatchObject({ shown: true, reason: 'shown' });
    expect(widgetRequests[0]!.query).toEqual({ userId: 'ada', userHash: 'ab12', writeKey: 'wk_1', accountId: 'acme' });

    const region = $('[role=region]');
    expect(shadow()!.getElementById(region.getAttribute('aria-labelledby')!)!.textContent).toBe('Your last 30 days');
    // Most used first, at most 3, unused ones left out.
    expect(lines()).toEqual([
      '42reports created12 more than the 30 days before',
      '5dashboards shared4 fewer than the 30 days before',
      '3filters savedas many as the 30 days before',
      '120reports created20 more than the 30 days before',
      'alerts setAlerts tell you when a metric moves',
    ]);
    expect($$('h3').map((h3) => h3.textContent)).toEqual(['Your team', 'Worth a try']);
    // A notice: announced, not focused.
    expect(document.activeElement).toBe(opener);
    await advance(100);
    expect($('[role=status]').textContent).toBe('Your last 30 days: 42 reports created, 5 dashboards shared, 3 filters saved');
    expect(received).toEqual([]); // progress sends no events
  });

  it('is dismissed with × or Escape; with focus: true it takes focus and gives it back', async () => {
    serveWidget('progress', progress);
    const first = await showProgress(base);
    $('.x').click();
    expect(shadow()).toBeNull();
    await expect(first.closed).resolves.toBe('dismissed');

    const second = await showProgress({ ...base, focus: true });
    expect(focused()).toBe($('.x'));
    expect($('.x').getAttribute('aria-label')).toBe('Dismiss');
    const pageKeys = vi.fn();
    document.addEventListener('keydown', pageKeys);
    key(focused()!, 'Escape');
    document.removeEventListener('keydown', pageKeys);
    expect(pageKeys).not.toHaveBeenCalled();
    expect(shadow()).toBeNull();
    expect(document.activeElement).toBe(opener);
    await expect(second.closed).resolves.toBe('dismissed');
  });

  it('takes its texts and sentences from options', async () => {
    serveWidget('progress', progress);
    await showProgress({
      ...base,
      maxItems: 1,
      team: false,
      suggestions: false,
      text: { title: 'Vos {days} derniers jours', dismiss: 'Fermer' },
      item: (entry, days) => `Ces ${days} jours, ${entry.count} ${entry.label} (${entry.change >= 0 ? '+' : ''}${entry.change})`,
    });
    expect($('h2').textContent).toBe('Vos 30 derniers jours');
    expect(lines()).toEqual(['Ces 30 jours, 42 reports created (+12)']);
    expect($('.x').getAttribute('aria-label')).toBe('Fermer');
  });

  it('shows nothing when there is nothing to say or the service cannot be asked', async () => {
    serveWidget('progress', { ...progress, user: { items: [item('comments', 0, 4)], missing: [] }, account: null });
    expect(await showProgress(base)).toMatchObject({ shown: false, reason: 'empty' });
    expect(shadow()).toBeNull();
    serveWidget('progress', 401);
    expect(await showProgress(base)).toMatchObject({ shown: false, reason: 'error' });
    expect(shadow()).toBeNull();
  });

  it('follows the theme and reduced motion', async () => {
    serveWidget('progress', progress);
    prefer('(prefers-reduced-motion: reduce)');
    await showProgress({ ...base, theme: 'dark' });
    expect($('[role=region]').className).toBe('card dark reduced-motion');
  });
});
