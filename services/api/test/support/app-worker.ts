import { Worker } from 'node:worker_threads';
import type { Config } from '../../src/config.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import type { TestDatabaseKind } from './databases.ts';

export type WorkerApp = { url: string; project: ProjectKeys; close(): Promise<void> };

/**
 * `createTestApp` listening on a port of its own, in a worker thread: a request that blocks the
 * service's event loop (an endless loop) cannot block the test, whose fetch then times out and
 * says which request it was. `close()` closes the app and ends the worker, or ends it at once
 * when the app no longer answers.
 *
 * @example
 * const server = await startAppInWorker('pglite');
 * await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
 * await server.close();
 */
export async function startAppInWorker(kind: TestDatabaseKind, overrides: Partial<Config> = {}): Promise<WorkerApp> {
  const worker = new Worker(new URL('./app-worker.entry.ts', import.meta.url), { workerData: { kind, overrides } });
  const started = await new Promise<{ url: string; project: ProjectKeys }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the app worker exited with ${code} before listening`)));
  });
  const close = async () => {
    const closed = new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 30_000);
    await closed;
    clearTimeout(timer);
    await worker.terminate();
  };
  return { ...started, close };
}
