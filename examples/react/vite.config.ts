import { defineConfig } from 'vite';

// The Uptake service serves dist/ under /examples/react/ (./uptake start).
export default defineConfig({
  base: '/examples/react/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, reportCompressedSize: false },
  logLevel: 'warn',
});
