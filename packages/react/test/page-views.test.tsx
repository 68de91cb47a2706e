/**
 * usePageViews with a client-side router: one `page` event per location change, the provider's
 * first page view not doubled, nothing more from StrictMode or from renders at the same location.
 */
import { act, cleanup, render } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { UptakeProvider, usePageViews, useUptake, type RouterLocation, type UptakeCalls } from '../src/index.ts';
import { eventsOfType, HOST, useFakeService, WRITE_KEY } from './support/service.ts';

useFakeService();
afterEach(() => {
  cleanup();
  history.replaceState(null, '', '/');
});

let uptake: UptakeCalls | undefined;
let navigate: (path: string) => void = () => {};
let rerender: () => void = () => {};

/** A router in a few lines: the location in state, `history.pushState` on navigation (as routers do). */
function Router({ passLocation }: { passLocation: boolean }) {
  const [location, setLocation] = useState<RouterLocation>({ pathname: window.location.pathname, search: window.location.search });
  const [, setRenders] = useState(0);
  uptake = useUptake();
  navigate = (path) => {
    history.pushState(null, '', path);
    const url = new URL(path, window.location.href);
    setLocation({ pathname: url.pathname, search: url.search });
  };
  rerender = () => setRenders((count) => count + 1);
  usePageViews(passLocation ? location : undefined);
  return null;
}

const paths = () => eventsOfType('page').map((event) => event.properties.path + new URL(event.properties.url).search);

describe.each([
  ['the router location', true],
  ['window.location', false],
])('usePageViews with %s', (_name, passLocation) => {
  it.each([true, false])('sends one page view per location under StrictMode (provider pageView %s)', async (pageView) => {
    history.replaceState(null, '', '/reports');
    render(
      <StrictMode>
        <UptakeProvider writeKey={WRITE_KEY} host={HOST} pageView={pageView}>
          <Router passLocation={passLocation} />
        </UptakeProvider>
      </StrictMode>,
    );
    act(() => rerender());
    act(() => navigate('/reports/42'));
    act(() => rerender());
    act(() => navigate('/reports/42?tab=sharing'));
    act(() => navigate('/reports'));
    act(() => navigate('/reports'));
    await act(() => uptake!.flush());
    expect(paths()).toEqual(['/reports', '/reports/42', '/reports/42?tab=sharing', '/reports']);
  });
});

it('takes a path as the location', async () => {
  function ByPath({ path }: { path: string }) {
    uptake = useUptake();
    usePageViews(path);
    return null;
  }
  const tree = (path: string) => (
    <UptakeProvider writeKey={WRITE_KEY} host={HOST}>
      <ByPath path={path} />
    </UptakeProvider>
  );
  const { rerender: render2 } = render(tree('/a'));
  render2(tree('/a'));
  render2(tree('/b'));
  await act(() => uptake!.flush());
  expect(eventsOfType('page')).toHaveLength(2);
});
