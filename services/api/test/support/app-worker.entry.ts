// The worker thread of `startAppInWorker`: builds the test app, listens, answers 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../src/config.ts';
import type { TestDatabaseKind } from './databases.ts';
import { createTestApp } from './test-app.ts';

const { kind, overrides } = workerData as { kind: TestDatabaseKind; overrides: Partial<Config> };
const t = await createTestApp(kind, overrides);
const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
parentPort!.on('message', (message) => {
  if (message !== 'close') return;
  void t.close().finally(() => parentPort!.postMessage('closed'));
});
parentPort!.postMessage({ url, project: t.project });
