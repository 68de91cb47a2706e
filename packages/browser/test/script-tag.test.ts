import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { advance, eventNames, events, HOST, received, useFakeService } from './support/service.ts';

useFakeService();

const packageDir = join(import.meta.dirname, '..');
// dist/ is built by the globalSetup (test/support/build-dist.ts).
const iife = readFileSync(join(packageDir, 'dist/uptake.min.js'), 'utf8');
const snippet = /<script>\s*(!function[^\n]+)/.exec(readFileSync(join(packageDir, 'snippet.html'), 'utf8'))![1]!;

type Call = (...args: unknown[]) => unknown;
type Stub = Array<[string, unknown[]]> & { identify: Call; track: Call; group: Call };

/** Runs the script-tag build as the browser would for `<script src=… data-…>`. */
const loadScriptTag = (attributes: Record<string, string>): void => {
  const script = document.createElement('script');
  for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
  document.head.append(script);
  Object.defineProperty(document, 'currentScript', { get: () => script, configurable: true });
  try {
    new Function(iife)();
  } finally {
    Object.defineProperty(document, 'currentScript', { get: () => null, configurable: true });
  }
};

describe('script tag (IIFE)', () => {
  it('reads data-* options, replaces the stub and replays its calls in order', async () => {
    new Function(snippet)();
    const stub = (window as unknown as { uptake: Stub }).uptake;
    expect(Array.isArray(stub)).toBe(true);
    stub.identify('u1', { role: 'admin' });
    stub.track('Before Load', { n: 1 });
    stub.group('acme', { seats: 5 });
    stub.track('Second');
    expect(stub).toHaveLength(4);

    loadScriptTag({ 'data-write-key': 'wk_tag', 'data-host': HOST, 'data-flush-interval-ms': '1000' });
    const api = (window as unknown as { uptake: Record<string, Call> }).uptake;
    expect(Array.isArray(api)).toBe(false);
    expect(Object.keys(api).sort()).toEqual(['consent', 'flush', 'group', 'identify', 'init', 'onError', 'page', 'reset', 'track']);
    api.track!('After Load');
    await advance(1000);

    expect(received.every((request) => request.body.writeKey == 'wk_tag')).toBe(true);
    expect(eventNames()).toEqual(['$session_start', 'identify', 'Before Load', 'group', 'Second', 'After Load']);
    const second = events().find((event) => event.event == 'Second')!;
    expect(second).toMatchObject({ userId: 'u1', context: { groupId: 'acme' } });
    expect(events().find((event) => event.type == 'group')).toMatchObject({ groupId: 'acme', traits: { seats: 5 } });
  });

  it('publishes the sha384 SRI hash of each build', () => {
    const sri = JSON.parse(readFileSync(join(packageDir, 'dist/sri.json'), 'utf8'));
    for (const file of ['uptake.min.js', 'index.js']) {
      const digest = createHash('sha384').update(readFileSync(join(packageDir, 'dist', file))).digest('base64');
      expect(sri[file]).toBe(`sha384-${digest}`);
    }
  });
});
