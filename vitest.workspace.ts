import { defineConfig } from 'vitest/config';

// The root Vitest config: every package and service is a project. A package with its own
// vitest.config.ts (the browser SDK's jsdom setup) brings its own settings.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*'],
  },
});
