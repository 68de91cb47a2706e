import { createUptake, type CoreDeps, type Options } from '@uptake/browser';
import { useMemo, useState, type ReactNode } from 'react';
import { UptakeContext, type UptakeContextValue } from './context.js';
import { deferredUptake } from './deferred-uptake.js';
import { useLastingEffect } from './use-lasting-effect.js';

export type UptakeProviderProps = Options & {
  children?: ReactNode;
  /**
   * Send one page view (`page()`) when the SDK starts (default `true`). `usePageViews` then counts
   * only the later locations, so the first page is never counted twice.
   */
  pageView?: boolean;
  /** The SDK's platform (storage, transport, clock), as `createUptake(options, deps)` takes it; default: the browser's. */
  deps?: CoreDeps;
};

/**
 * Starts one Uptake SDK instance (`createUptake` of `@uptake/browser`) for the components under it.
 * The instance is made in an effect, so server rendering touches no `window`, `document` or
 * `localStorage`; StrictMode's second mount reuses it (one instance, one page view). The props are
 * read once, when it starts; give the provider a new `key` to start over with others.
 *
 * @example
 * <UptakeProvider writeKey="wk_live_…" host="https://uptake.example.com">
 *   <App />
 * </UptakeProvider>
 */
export const UptakeProvider = ({ children, pageView = true, deps, ...options }: UptakeProviderProps): ReactNode => {
  const [deferred] = useState(() => deferredUptake(pageView));
  useLastingEffect(() => {
    deferred.attach(createUptake(options, deps));
    if (pageView) deferred.calls.page();
    return () => deferred.detach()?.close();
  }, '');
  const value = useMemo<UptakeContextValue>(() => ({ deferred, writeKey: options.writeKey, host: options.host }), [deferred, options.writeKey, options.host]);
  return <UptakeContext.Provider value={value}>{children}</UptakeContext.Provider>;
};
