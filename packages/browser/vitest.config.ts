import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@uptake/browser',
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    // Builds dist/ (ESM, IIFE, sri.json) once, so tests run from a clean checkout.
    globalSetup: ['test/support/build-dist.ts'],
  },
});
