import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@uptake/api',
    // Each file builds its own app on fresh PGlite and Postgres databases.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
