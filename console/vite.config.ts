import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console is a static single-page app; the server serves console/dist at `/` with an
 * SPA fallback. `npm run build:console` builds it; `npx vite --config console/vite.config.ts`
 * serves it for development against an API on :3000. */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
  },
  server: {
    proxy: { '/api': { target: process.env.MEMBERDESK_API ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
});
