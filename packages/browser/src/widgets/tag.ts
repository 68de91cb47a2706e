import type { WidgetHandle, WidgetOptions, WidgetTracker } from './types.js';

type WidgetFunction = (options: Partial<WidgetOptions>) => Promise<WidgetHandle>;
type Page = { uptake?: WidgetTracker; uptakeWidgets?: Record<string, WidgetFunction> };

/**
 * For the script-tag widget files (`uptake-nps.min.js`, `uptake-progress.min.js`): registers the
 * widget as `window.uptakeWidgets[name]`, which the documented loader snippet calls (as
 * `uptake.nps(…)`, `uptake.progress(…)`). The write key and host come from the `uptake.min.js`
 * tag's `data-*` unless given; events go through `window.uptake`, read when sent, so that calls
 * made before `uptake.min.js` has loaded are recorded by its stub and replayed.
 */
export const registerWidget = <O extends WidgetOptions>(
  name: string,
  open: (options: O, tracker: WidgetTracker) => Promise<WidgetHandle>,
): void => {
  const page = window as Page;
  (page.uptakeWidgets ||= {})[name] = (options) => {
    const data = document.querySelector<HTMLScriptElement>('script[data-write-key]')?.dataset;
    return open({ writeKey: data?.writeKey, host: data?.host, ...options } as O, {
      track: (...args) => page.uptake?.track(...args),
      flush: () => page.uptake?.flush?.() || Promise.resolve(),
    });
  };
};
