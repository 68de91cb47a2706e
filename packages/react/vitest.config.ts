import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdk = (file: string) => fileURLToPath(new URL(`../browser/src/${file}`, import.meta.url));

export default defineConfig({
  // Tests run against the SDK's sources (as `pnpm typecheck` does), so no built packages/browser/dist is needed.
  resolve: {
    alias: [
      { find: /^@uptake\/browser$/, replacement: sdk('index.ts') },
      { find: /^@uptake\/browser\/nps$/, replacement: sdk('nps.ts') },
      { find: /^@uptake\/browser\/progress$/, replacement: sdk('progress.ts') },
    ],
  },
  test: {
    name: '@uptake/react',
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
