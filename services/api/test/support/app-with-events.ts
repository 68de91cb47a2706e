import { afterAll, beforeAll } from 'vitest';
import type { TestDatabaseKind } from './databases.ts';
import { ingestEvents } from './ingest.ts';
import type { OracleEvent } from './oracle.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/**
 * Registers, in the calling `describe`, an app on a fresh database of `kind` holding `events`
 * (made before its tests, closed after them), and returns its getter.
 *
 * @example
 * describe.each(testDatabaseKinds)('… on %s', (kind) => {
 *   const app = appWithEvents(kind, data.events);
 *   it('…', async () => { await app().app.inject({ method: 'GET', url: '/readyz' }); });
 * });
 */
export function appWithEvents(kind: TestDatabaseKind, events: readonly OracleEvent[]): () => TestApp {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await ingestEvents(t.app, t.project.writeKey, events);
  }, 120_000);
  afterAll(async () => t?.close());
  return () => t!;
}
