import type { Properties } from '@uptake/browser';
import { useCallback, useContext, useEffect } from 'react';
import { UptakeContext, type UptakeContextValue } from './context.js';
import type { UptakeCalls } from './deferred-uptake.js';

/** The nearest provider's context; throws, naming the hook, outside one. */
export const useUptakeContext = (hook: string): UptakeContextValue => {
  const context = useContext(UptakeContext);
  if (!context) throw new Error(`${hook} must be used inside <UptakeProvider writeKey host> (from @uptake/react)`);
  return context;
};

/**
 * The provider's SDK instance: `identify`, `group`, `track`, `page`, `flush`, `reset`, `consent`,
 * `onError`. The same object on every render. Calls made before the instance has started (in a
 * child's first effect, or while server rendering) are kept and sent once it has.
 *
 * @example
 * const uptake = useUptake();
 * useEffect(() => uptake.identify(user.id, { email: user.email }, { userHash }), [user.id]);
 */
export const useUptake = (): UptakeCalls => useUptakeContext('useUptake()').deferred.calls;

/**
 * A callback that records `event` (with the properties it is given): the same function on every
 * render while `event` is the same, so it can go into dependency lists and memoised children.
 *
 * @example
 * const reportCreated = useTrack('Report Created');
 * <button onClick={() => reportCreated({ format: 'pdf' })}>Create report</button>
 */
export const useTrack = (event: string): ((properties?: Properties) => void) => {
  const { calls } = useUptakeContext('useTrack()').deferred;
  return useCallback((properties?: Properties) => calls.track(event, properties), [calls, event]);
};

/** A router's location: a path, or an object with a `pathname` (and `search`), such as React Router's `useLocation()`. */
export type RouterLocation = string | { pathname: string; search?: string };

/** What tells two locations apart: the path and the query (read in an effect, so never on the server). */
const pageKey = (location: RouterLocation | undefined): string => {
  if (typeof location === 'string') return location;
  const { pathname, search = '' } = location ?? window.location;
  return pathname + search;
};

/**
 * Records a page view (`page()`) each time the location changes, for client-side routers. Pass the
 * router's location (React Router: `usePageViews(useLocation())`), or nothing to read
 * `window.location` after each render. The first location is the provider's own page view (unless
 * `pageView={false}`); StrictMode and re-renders at the same location record nothing more.
 * Use it once, in a component that re-renders on navigation (the layout inside your router).
 *
 * @example
 * function Layout() {
 *   usePageViews(useLocation());
 *   return <Outlet />;
 * }
 */
export const usePageViews = (location?: RouterLocation): void => {
  const { deferred } = useUptakeContext('usePageViews()');
  useEffect(() => {
    const current = pageKey(location);
    const first = deferred.lastPage === undefined;
    if (current === deferred.lastPage) return;
    deferred.lastPage = current;
    if (!first || !deferred.initialPageView) deferred.calls.page();
  });
};
