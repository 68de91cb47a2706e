/**
 * <UptakeProvider>, useUptake and useTrack in jsdom against a fake service at the network edge:
 * one SDK instance and one page view under StrictMode, calls made before the instance exists are
 * sent, stable identities, a clear error outside the provider, the instance closed on unmount.
 */
import { act, cleanup, render } from '@testing-library/react';
import { StrictMode, useEffect, useState, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UptakeProvider, useTrack, useUptake, type UptakeCalls } from '../src/index.ts';
import { events, eventsOfType, HOST, tracked, useFakeService, WRITE_KEY } from './support/service.ts';

useFakeService();
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

/** Listeners the SDK's page hooks put on window: one `pagehide` per instance (`attachPageHooks`). */
const pagehideListeners = () => {
  const added: AbortSignal[] = [];
  const addEventListener = window.addEventListener.bind(window);
  vi.spyOn(window, 'addEventListener').mockImplementation((type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions) => {
    if (type === 'pagehide') added.push((options as AddEventListenerOptions).signal!);
    addEventListener(type, listener, options);
  });
  return { made: () => added.length, live: () => added.filter((signal) => !signal.aborted).length };
};

let seen: UptakeCalls | undefined;
/** Sends one event from its first effect, which runs before the provider's (children first). */
function Child({ event }: { event: string }) {
  const uptake = useUptake();
  seen = uptake;
  useEffect(() => uptake.track(event), [uptake, event]);
  return null;
}

const app = (children: ReactNode, props: { pageView?: boolean } = {}) => (
  <StrictMode>
    <UptakeProvider writeKey={WRITE_KEY} host={HOST} {...props}>
      {children}
    </UptakeProvider>
  </StrictMode>
);

const flush = () => act(() => seen!.flush());
const nextTask = () => act(() => new Promise((resolve) => setTimeout(resolve, 5)));

describe('<UptakeProvider>', () => {
  it('makes one SDK instance and sends one page view under StrictMode, with the calls its children made first', async () => {
    const listeners = pagehideListeners();
    render(app(<Child event="App Opened" />));
    await nextTask(); // past StrictMode's put-off stop
    await flush();
    expect(listeners.made()).toBe(1);
    expect(listeners.live()).toBe(1);
    expect(eventsOfType('page')).toHaveLength(1);
    expect(eventsOfType('page')[0]!.properties).toMatchObject({ path: '/' });
    // StrictMode runs the child's effect twice: both calls are the app's, kept and sent in order.
    expect(tracked().map((event) => event.event)).toEqual(['App Opened', 'App Opened']);
    expect(new Set(events().map((event) => event.messageId)).size).toBe(events().length);
  });

  it('sends no page view with pageView={false}', async () => {
    render(app(<Child event="App Opened" />, { pageView: false }));
    await flush();
    expect(eventsOfType('page')).toHaveLength(0);
    expect(tracked()).toHaveLength(2);
  });

  it('closes its instance when it unmounts, and a new provider makes a new one', async () => {
    const listeners = pagehideListeners();
    const { unmount } = render(app(<Child event="A" />));
    await nextTask();
    unmount();
    await nextTask();
    expect(listeners.live()).toBe(0);
    render(app(<Child event="B" />));
    await nextTask();
    expect(listeners.made()).toBe(2);
    expect(listeners.live()).toBe(1);
  });

  it('useUptake gives the same object on every render', async () => {
    const objects = new Set<UptakeCalls>();
    function Rerendering() {
      const uptake = useUptake();
      const [count, setCount] = useState(0);
      objects.add(uptake);
      useEffect(() => {
        if (count < 3) setCount(count + 1);
      }, [count]);
      return <span>{count}</span>;
    }
    const { container } = render(app(<Rerendering />));
    await nextTask();
    expect(container.textContent).toBe('3');
    expect(objects.size).toBe(1);
  });

  it('throws a clear error outside the provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    function Orphan() {
      useUptake();
      return null;
    }
    function OrphanTrack() {
      useTrack('X');
      return null;
    }
    expect(() => render(<Orphan />)).toThrow('useUptake() must be used inside <UptakeProvider writeKey host> (from @uptake/react)');
    expect(() => render(<OrphanTrack />)).toThrow('useTrack() must be used inside <UptakeProvider');
  });
});

describe('useTrack', () => {
  it('returns the same callback on every render, and it sends the event with its properties', async () => {
    const callbacks = new Set<unknown>();
    let bump: () => void = () => {};
    function Button() {
      const reportCreated = useTrack('Report Created');
      const [, setCount] = useState(0);
      bump = () => setCount((count) => count + 1);
      callbacks.add(reportCreated);
      return <button onClick={() => reportCreated({ format: 'pdf' })}>Create</button>;
    }
    function Spy() {
      seen = useUptake();
      return null;
    }
    const { getByText } = render(app(<><Button /><Spy /></>));
    for (let i = 0; i < 3; i++) act(() => bump());
    expect(callbacks.size).toBe(1);
    act(() => getByText('Create').click());
    await flush();
    expect(tracked().map((event) => [event.event, event.properties])).toEqual([['Report Created', { format: 'pdf' }]]);
  });

  it('gives a new callback when the event changes', () => {
    const callbacks: unknown[] = [];
    function Named({ event }: { event: string }) {
      callbacks.push(useTrack(event));
      return null;
    }
    const { rerender } = render(app(<Named event="A" />));
    rerender(app(<Named event="A" />));
    rerender(app(<Named event="B" />));
    expect(new Set(callbacks).size).toBe(2);
  });
});
