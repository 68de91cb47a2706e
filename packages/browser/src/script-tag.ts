/**
 * The script-tag build (`dist/uptake.min.js`): reads its options from its own tag's `data-*`
 * attributes, defines `window.uptake`, and replays the calls the stub snippet recorded.
 *
 * @example
 * <script src="https://cdn.example.com/uptake.min.js" data-write-key="wk_live_…"
 *   data-host="https://uptake.example.com" async></script>
 */
import { init, uptake } from './index.js';
import type { Options } from './types.js';

type StubCall = [method: string, args: unknown[]];

const script = document.currentScript as HTMLScriptElement | null;
const target = window as unknown as { uptake?: unknown };
const stub = target.uptake;

// Loaded twice? The first copy owns window.uptake.
if (!stub || Array.isArray(stub)) {
  // `uptake.w`: the widget loaders of the documented widget snippet (`uptake.nps`, `uptake.progress`) stay on.
  target.uptake = { ...(stub as { w?: object } | undefined)?.w, ...uptake };
  const data = script?.dataset;
  if (data?.writeKey) {
    init({
      // writeKey, persistence, consent and the numbers as they are (the core reads flushAt and
      // flushIntervalMs with `+`; it ignores other attributes)
      ...(data as Pick<Options, 'writeKey' | 'persistence' | 'consent'>),
      host: data.host || '',
      debug: data.debug != null,
      globalPrivacyControl: data.globalPrivacyControl != null,
    });
  }
  for (const [method, args] of (stub as StubCall[] | undefined) || []) {
    (uptake as unknown as Record<string, (...args: unknown[]) => unknown>)[method]?.(...args);
  }
}
