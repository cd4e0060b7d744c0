import { defineConfig } from 'vite';

// Static files only: no CDN at run time; `make dev` serves dist/ from local-api.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { host: '127.0.0.1' },
});
