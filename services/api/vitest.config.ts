import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@uptake/api',
    // Each file builds its own app on fresh PGlite and Postgres databases; PGlite ones are
    // copies of one template initialised once per run.
    globalSetup: ['./test/support/pglite-template.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
