// @vitest-environment node
/**
 * Server rendering: the provider, the hooks and both widget components render with
 * `renderToString` where there is no `window`, and nothing reads `window`, `document`,
 * `localStorage`, `navigator` or `fetch` meanwhile (each is a getter here that records a read).
 */
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NpsPrompt, ProgressCard, UptakeProvider, usePageViews, useTrack, useUptake } from '../src/index.ts';

const WATCHED = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'fetch', 'location', 'history'] as const;
let reads: string[] = [];
const saved = new Map<string, PropertyDescriptor | undefined>();

beforeEach(() => {
  reads = [];
  for (const name of WATCHED) {
    saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, { configurable: true, get: () => void reads.push(name) });
  }
});
afterEach(() => {
  for (const name of WATCHED) {
    const descriptor = saved.get(name);
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else delete (globalThis as Record<string, unknown>)[name];
  }
});

function Page() {
  const uptake = useUptake();
  const reportCreated = useTrack('Report Created');
  usePageViews();
  usePageViews('/reports');
  // Calls during render on the server are kept, never sent (the instance exists only in a browser).
  uptake.identify('ada');
  return (
    <main>
      <button onClick={() => reportCreated()}>Create report</button>
      <NpsPrompt userId="ada" userHash={'a'.repeat(64)} />
      <ProgressCard userId="ada" userHash={'a'.repeat(64)} inline className="progress" />
    </main>
  );
}

it('renders on the server without touching the browser globals', () => {
  const html = renderToString(
    <UptakeProvider writeKey="wk_test" host="https://uptake.test">
      <Page />
    </UptakeProvider>,
  );
  expect(html).toBe('<main><button>Create report</button><div class="progress"></div></main>');
  expect(reads).toEqual([]);
  expect(typeof window).toBe('undefined');
});
