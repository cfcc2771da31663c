// The wallet and the console: two pages of one Vite build, written to dist/web and served by Anfu
// itself (src/http/routes/web-apps.ts). No inline script or style is emitted, so the pages run under a
// CSP without 'unsafe-inline'; no source maps in the served build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The SDK from its sources (the workspace's dist may not be built yet when npm install runs this).
  resolve: { alias: { '@anfu/sdk': here('../packages/sdk/src/index.ts') } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: { input: { wallet: here('wallet/index.html'), console: here('console/index.html') } },
  },
});
