import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The root Vitest config: every package and service is a project. A package with its own
// vitest.config.ts (the browser SDK's jsdom setup) brings its own settings.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*'],
    // Vitest's default (cores - 1) is one worker on a 2-core CI machine, which leaves a core
    // idle: a file spends most of its time in one process (PGlite's WebAssembly, or waiting on
    // Postgres, Chromium or a child process). Two files at once on 2 cores, the default above.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
