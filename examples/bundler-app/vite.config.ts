import { defineConfig } from 'vite';

// The Uptake service serves dist/ under /examples/bundler-app/ (./uptake start).
export default defineConfig({
  base: '/examples/bundler-app/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, reportCompressedSize: false },
  logLevel: 'warn',
});
