import type { Uptake } from '@uptake/browser';

/** What the hooks hand to components: an instance's calls (the provider alone closes it). */
export type UptakeCalls = Omit<Uptake, 'close'>;
type Method = keyof UptakeCalls;

/**
 * Calls kept before the SDK instance exists. React runs children's effects before their parent's,
 * so a child's first `track` comes before the provider's effect makes the instance. The same bound
 * as the SDK's own for calls before `init` (`MAX_PENDING_CALLS` in packages/browser/src/limits.ts,
 * which its public API does not export: exporting it would add to every app's core bundle).
 */
const MAX_WAITING = 100;

/**
 * The provider's stable stand-in for its SDK instance. Making it touches nothing (no `window`, no
 * storage), so it exists on the server too; the instance is made and attached in an effect, in the
 * browser only. Calls made before that are kept (up to {@link MAX_WAITING}) and replayed in order.
 */
export type DeferredUptake = {
  calls: UptakeCalls;
  attach(instance: Uptake): void;
  /** The attached instance, if any, detached (for closing). */
  detach(): Uptake | undefined;
  /** Whether the provider sends a page view when it starts (then `usePageViews` leaves the first location to it). */
  initialPageView: boolean;
  /** The last location a page view was counted for, shared by every `usePageViews` under the provider. */
  lastPage?: string;
};

export const deferredUptake = (initialPageView: boolean): DeferredUptake => {
  let instance: Uptake | undefined;
  const waiting: Array<[Method, unknown[]]> = [];
  const run = (method: Method, args: unknown[]): unknown => {
    if (instance) return (instance[method] as (...args: unknown[]) => unknown)(...args);
    if (waiting.length < MAX_WAITING) waiting.push([method, args]);
  };
  const call =
    <M extends Method>(method: M) =>
    (...args: unknown[]) =>
      run(method, args);
  const calls = {
    identify: call('identify'),
    group: call('group'),
    track: call('track'),
    page: call('page'),
    flush: () => (run('flush', []) as Promise<void> | undefined) ?? Promise.resolve(),
    reset: call('reset'),
    consent: call('consent'),
    onError: call('onError'),
  } as UptakeCalls;
  return {
    calls,
    initialPageView,
    attach(next) {
      instance = next;
      for (const [method, args] of waiting.splice(0)) run(method, args);
    },
    detach() {
      const attached = instance;
      instance = undefined;
      return attached;
    },
  };
};
