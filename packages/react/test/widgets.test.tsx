/**
 * <NpsPrompt> and <ProgressCard>: nothing asked of the service until one renders; then one request
 * (StrictMode included), the widget on the page, its events through the provider's instance, and
 * the widget gone when the component unmounts.
 */
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { NpsPrompt, ProgressCard, UptakeProvider, useTrack, useUptake, type UptakeCalls } from '../src/index.ts';
import type { WidgetHandle } from '@uptake/browser/nps';
import { events, HOST, serveWidget, useFakeService, widgetRequests, WRITE_KEY } from './support/service.ts';

useFakeService();
afterEach(() => cleanup());

const USER = { userId: 'ada', userHash: 'a'.repeat(64) };
let uptake: UptakeCalls | undefined;
function Spy() {
  uptake = useUptake();
  useTrack('Report Created');
  return null;
}
const app = (children?: ReactNode) => (
  <StrictMode>
    <UptakeProvider writeKey={WRITE_KEY} host={HOST} pageView={false}>
      <Spy />
      {children}
    </UptakeProvider>
  </StrictMode>
);
const widgets = () => document.querySelectorAll('[data-uptake-widget]');
const nextTask = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

describe('<NpsPrompt>', () => {
  it('asks the service only once rendered, once under StrictMode, and sends its events through the provider', async () => {
    serveWidget('nps', { show: true, surveyId: 'nps', question: 'How likely are you to recommend us?', reason: 'eligible' });
    const view = render(app());
    await nextTask();
    expect(widgetRequests).toEqual([]);

    const results: string[] = [];
    const outcomes: string[] = [];
    const onResult = (handle: WidgetHandle) => {
      results.push(handle.reason);
      void handle.closed.then((outcome) => outcomes.push(outcome));
    };
    view.rerender(app(<NpsPrompt {...USER} onResult={onResult} />));
    await waitFor(() => expect(results).toEqual(['eligible']));
    expect(widgetRequests).toEqual([{ route: 'nps', query: { userId: 'ada', userHash: USER.userHash, writeKey: WRITE_KEY } }]);
    expect(widgets()).toHaveLength(1);
    await act(() => uptake!.flush());
    expect(events().filter((event) => event.event?.startsWith('$nps')).map((event) => event.event)).toEqual(['$nps_shown']);

    // Unmounted (the user went to another page): the prompt is closed, not dismissed by the user.
    view.rerender(app());
    await nextTask();
    expect(widgets()).toHaveLength(0);
    expect(outcomes).toEqual(['closed']);
    await act(() => uptake!.flush());
    expect(events().filter((event) => event.event?.startsWith('$nps')).map((event) => event.event)).toEqual(['$nps_shown']);
    expect(widgetRequests).toHaveLength(1);
  });

  it('shows nothing when the service says no, and says why', async () => {
    serveWidget('nps', { show: false, surveyId: 'nps', question: '', reason: 'answered_recently' });
    const results: string[] = [];
    render(app(<NpsPrompt {...USER} onResult={(handle) => results.push(`${handle.shown} ${handle.reason}`)} />));
    await waitFor(() => expect(results).toEqual(['false answered_recently']));
    expect(widgets()).toHaveLength(0);
  });
});

describe('<ProgressCard>', () => {
  it('asks only once rendered and shows the card inside its own element with inline', async () => {
    serveWidget('progress', {
      userId: 'ada',
      window: { from: '2026-11-05', to: '2026-12-04' },
      previousWindow: { from: '2026-10-06', to: '2026-11-04' },
      user: { items: [{ event: 'Report Created', label: 'Reports created', count: 42, previousCount: 30, change: 12 }], missing: [] },
      account: null,
    });
    const view = render(app());
    await nextTask();
    expect(widgetRequests).toEqual([]);
    const results: string[] = [];
    view.rerender(app(<ProgressCard {...USER} inline className="progress-slot" onResult={(handle) => results.push(handle.reason)} />));
    await waitFor(() => expect(results).toEqual(['shown']));
    expect(widgetRequests.map((request) => request.route)).toEqual(['progress']);
    const slot = view.container.querySelector('.progress-slot')!;
    expect(slot.querySelectorAll('[data-uptake-widget]')).toHaveLength(1);
    expect(slot.querySelector('[data-uptake-widget]')!.shadowRoot!.textContent).toContain('42');
    view.rerender(app());
    await nextTask();
    expect(widgets()).toHaveLength(0);
  });
});
